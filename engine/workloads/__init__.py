"""What runs inside the simulated containers: a registry of image behaviours.

A behaviour answers connections to its pod's ports (redis speaks RESP, the tutorial's
counter app speaks HTTP and talks to redis, web servers serve a page, anything else
accepts TCP on its declared ports). Each pod gets its own instance, so its state lives
and dies with the pod — deleting the redis pod loses the count, as in real life.
"""

"""What runs inside the pods' containers: their shell (the line read and run as busybox ash
or dash does), the programs of their images (busybox applets, coreutils, apk packages, the
network tools), their files, and the processes whose output is the containers' logs."""

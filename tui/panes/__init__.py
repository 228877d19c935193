"""The dashboard's panes: one widget per pane, each owning its rows and the version it
last showed, updated by one `tui.messages.ClusterChanged`."""
from tui.panes.base import Pane
from tui.panes.dataplane import DnsPane, ProxyPane
from tui.panes.logs import EventsPane, LogPane, TerminalPane, short_line
from tui.panes.rows import BIG_VIEW_ROWS, EndpointsPane, PodsPane, RowsPane, ServicesPane

__all__ = ["BIG_VIEW_ROWS", "DnsPane", "EndpointsPane", "EventsPane", "LogPane", "Pane", "PodsPane", "ProxyPane",
           "RowsPane", "ServicesPane", "TerminalPane", "short_line"]

"""The dashboard's panes: one widget per pane, each owning its rows and the version it
last showed, updated by one `tui.messages.ClusterChanged`."""
from tui.panes.base import Pane
from tui.panes.dataplane import DnsPane, ProxyPane
from tui.panes.logs import EventsPane, LogPane, TerminalPane, short_line
from tui.panes.rows import BIG_VIEW_ROWS, EndpointsPane, PodsPane, RowsPane, ServicesPane

#: The widget that takes the focus for each pane, by the pane's id (`:po`, a tour's `focus:`).
FOCUS_WIDGET = {"pods": "#pods-table", "services": "#services-table", "endpoints": "#endpoints-table",
                "proxy": "#proxy-view", "dns": "#dns-table", "events": "#events-log", "terminal": "#terminal-log"}

__all__ = ["BIG_VIEW_ROWS", "FOCUS_WIDGET", "DnsPane", "EndpointsPane", "EventsPane", "LogPane", "Pane", "PodsPane",
           "ProxyPane", "RowsPane", "ServicesPane", "TerminalPane", "short_line"]

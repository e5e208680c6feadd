"""The plugin's desktop part (Qt widgets, map tools); ``core/`` stays Qt-free."""

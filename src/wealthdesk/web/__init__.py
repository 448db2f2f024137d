"""Server-rendered pages: the advisor sidebar and the analyst dashboards (no CDN, no external asset)."""

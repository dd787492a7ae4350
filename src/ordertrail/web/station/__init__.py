"""The scanner station at ``/scan``: one page, its scripts and styles, working offline."""

"""Server-rendered pages: templates and static CSS/JS, all served by ordertrail itself."""

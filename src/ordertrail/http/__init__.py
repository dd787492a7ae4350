"""HTTP plumbing shared by the API and the pages: typed dependencies, problem+json, body limits, security headers."""

"""Back-office pages: thin views over the services and selectors of each app."""

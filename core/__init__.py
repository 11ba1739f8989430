"""Shared kernel of Kopdes: app factory, configuration, database, auth, audit, money, jobs, i18n."""

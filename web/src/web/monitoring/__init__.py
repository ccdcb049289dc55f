"""The monitoring pages: My organisation (a manager's home), indicators and their SPC charts, the
implementation plan and its check-ins, and the monitoring admin pages, all over monitoring-api."""

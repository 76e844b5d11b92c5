"""Transaction days: the citizen's view (/lich), the official's edit (/lichxa), calendar,
CSV import and export, reminders."""

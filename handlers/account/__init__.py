"""Account: onboarding, menu, settings, privacy, linking channels, granting roles."""

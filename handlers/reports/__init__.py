"""Reports: intake (/baocao), tracking (/tracuu), moderation (/xuly), evidence, export."""

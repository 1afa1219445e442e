"""Operating Amity: backups and restores."""

"""Companies (accounts): the organisations contacts work for, with their hierarchy and owner."""

"""Lead scoring: rules (behaviour and profile), per-contact scores with history and decay,
the hot threshold and its once-per-crossing ``contact.score_crossed`` event."""

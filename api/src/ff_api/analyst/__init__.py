"""The AI analyst: staff questions answered by Claude from the platform's aggregate figures."""

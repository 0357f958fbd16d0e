"""The engine of a round: artifacts, sides, profiles, comparison, verdict."""

"""The audit log: who changed what through the console, when, and the state before and after."""

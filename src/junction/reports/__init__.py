"""Transactions, step data and incidents as the API reports them; retention."""

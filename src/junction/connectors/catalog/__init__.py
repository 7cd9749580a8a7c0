"""The catalogue: connector releases, their methods and fields, and the partner's
values per connector."""

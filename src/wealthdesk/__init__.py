"""wealthdesk: customer intelligence for the wealth-management arm of a securities brokerage."""

__version__ = "0.1.0"

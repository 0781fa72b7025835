"""The workspace's pages, split by what they are about."""

"""Federation between regional nodes: signed messages (跨域互认) and their canonical form."""

"""The HTTP edge: routers built by factories, errors mapped once to RFC 9457."""

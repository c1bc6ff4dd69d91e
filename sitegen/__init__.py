"""sitegen: a static-site generator for creator hubs.

Markdown interviews and stories become a fast, private, accessible site where every
page invites a reply, with a membership page sized for a small audience and no
follower counters anywhere.
"""

__version__ = "0.1.0"

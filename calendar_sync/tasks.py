"""django-q2 tasks: thin, take ids, call services (design.md §7.5).

Sections: sync (schedule fan-out, one connection), privacy (purge, anonymise, retention).
"""

# --- sync ------------------------------------------------------------------------------------


# --- privacy ---------------------------------------------------------------------------------

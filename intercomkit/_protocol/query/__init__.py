"""Search queries: a small builder, Intercom's validation rules, and exact date semantics. No I/O.

One module per job: :mod:`.fields` (Intercom's field tables and types), :mod:`.values` (dates to unix seconds),
:mod:`.builder` (``field``, :class:`Filter`, ``&``/``|``, :func:`build_query`), :mod:`.validate` (Intercom's
rules, reported as :class:`~intercomkit.errors.InvalidQuery`), :mod:`.plan` (date widening in workspace days and
the post filter: :func:`plan_search`) and :mod:`.evaluate` (the client-side evaluator the post filter runs).
Import names from those modules; this package re-exports nothing.

Build::

    q = field("email").endswith("@acme.com") & (field("created_at") > datetime(2024, 3, 5, 14))
    build_query(q)          # the JSON Intercom expects under "query"

Rules mirrored from Intercom (``POST /contacts/search``, API 2.16), checked before any request and reported as
:class:`~intercomkit.errors.InvalidQuery`:

* groups (``AND``/``OR``) nest at most 2 levels: a group inside a group is fine, a third level is not;
* at most 15 filters in one group, and no empty group;
* the operator must suit the field's type (``FIELD_TYPES``); ``custom_attributes.<name>`` accepts any operator;
* ``IN``/``NIN`` take a list; values must have the field's type; unknown fields get a did-you-mean.

Dates. Datetimes and dates become unix seconds; a naive datetime is taken as UTC. Intercom matches date fields and
Date custom attributes "by calendar day", and "The day boundary uses your workspace's timezone" (2.16, "Searching for
Timestamp Fields"): ``> 14:00 on March 5`` silently means "from March 6", and ``> midnight March 5`` too.
:func:`plan_search` (used by ``client.contacts.search``, given the workspace timezone) makes a query mean what it says:

* a ``datetime`` or an ``int`` is an exact instant, midnight included: the bound is widened to whole workspace days
  for the server (a superset) and :attr:`SearchPlan.post_filter` keeps exactly the matching records;
* a ``datetime.date`` is a whole calendar day in UTC (the days of the UTC timestamps every frame shows). On a UTC
  workspace Intercom answers it exactly; elsewhere it is planned as the two exact instants that bound it. The
  :class:`Filter` remembers that its int value came from a date. Raw dict queries carry ints: exact instants.

=============  ==========================  ==================================
operator       ``date`` D (whole UTC day)  ``datetime``/int t (an instant)
=============  ==========================  ==================================
``=``          on day D                    exactly t (to the second)
``>``          after day D (from D+1)      after t
``<``          before day D                before t
``>=``         from day D                  at or after t
``<=``         through day D               at or before t
=============  ==========================  ==================================

Intercom refuses ``!=``, ``>=``, ``<=``, ``IN`` and ``NIN`` on date fields; :func:`plan_search` rewrites ``>=``/``<=``
to ``>``/``<`` (``>= D`` is ``> D-1``), while :func:`build_query`, which only emits what Intercom accepts verbatim (and
so keeps Intercom's day semantics for every value), refuses them and says so. Integer fields take ``>=``/``<=``.

A custom attribute compared with a ``datetime`` or ``date`` is a Date custom attribute and follows the same rules;
compared with an int it is sent as written (its type is not known here). Day arithmetic lives in :mod:`..days`.

Case. Intercom's search description says nothing about case (its one statement on case is that tag "Names are case
insensitive"). One rule holds here and in the sandbox: strings compare ignoring case, for ``=``, ``!=``, ``IN``,
``NIN`` as for ``~ !~ ^ $``: ``email = "Ada@Acme.com"`` and ``email ^ "ada@"`` agree on ``ada@acme.com``, and
the client's post filter and the sandbox's matcher agree on every string.
"""

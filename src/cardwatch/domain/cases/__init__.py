"""The analysts' cases: a card's flagged transactions over an episode, or a pattern's
window, worked as one (:mod:`.case`), and what a case says in words (:mod:`.words`)."""

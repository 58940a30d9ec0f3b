"""Residual block walkthrough: ReLU([I | W2 | b2]·[X; H; 1]) with H = ReLU([W1 | b1]·[X; 1]).

Everything on it comes from the registry's residual BlockType (byhand/blocks/residual.py). The
file exists so that AppTest can open the page through app.py's navigation (it switches only to
file pages); a block with no file of its own gets the same page as a callable.
"""

from byhand.ui.walkthrough_page import walkthrough_page

walkthrough_page("residual")

"""Home: the one idea (a skip connection is an identity beside the weights), the walkthroughs, how to use."""

import streamlit as st

from byhand import default_residual, dot_product_text, fmt, residual_block
from byhand.render import vega
from byhand.ui.controls import fitted_chart
from byhand.ui.site import HOME, pages, st_page


@st.cache_data(show_spinner=False)
def idea_step():
    """The residual block's multiply step on the default example."""
    return residual_block(**default_residual()).steps[3]


st.title("ByHand: deep learning by hand")
st.markdown("Small integer matrices, every multiply visible, and the skip connection shown for what it "
            "is.")

st.header("The one idea", anchor=False)
st.markdown(
    "A **skip connection is an identity matrix stacked beside the weights**. Put `I` next to `W2` and "
    "`b2`, stack the input `X` over the hidden layer `H` and a row of ones, and **one multiply** gives "
    "the layer's output *plus its input*:")
st.latex(r"[\,I \mid W_2 \mid b_2\,]\begin{bmatrix} X \\ H \\ 1 \end{bmatrix}"
         r" \;=\; I X + W_2 H + b_2 \;=\; X + F(X)")
st.markdown("Here it is on the residual block's example, drawn by hand: each product cell sits where its "
            "row of the left matrix meets its column of the matrix above. The green identity copies `X` "
            "straight through; the dashed links show which row each of its columns picks.")
step = idea_step()
pick = vega.selected_cell(st.session_state.get("home.pick"))
m, n = step.product.shape
if pick is not None and not (0 <= pick[0] < m and 0 <= pick[1] < n):
    pick = None
st.altair_chart(fitted_chart(step, selected=pick), on_select="rerun",
                selection_mode="cell", key="home.pick", width="content")
if pick is None:
    st.caption(":material/touch_app: Click a cell of the product to see its dot product.")
else:
    i, j = pick
    st.code(f"(X + F(X)) [{i + 1}, {j + 1}] = {dot_product_text(step, i, j)}; ReLU gives "
            f"{fmt(step.result[i, j])}", language=None, wrap_lines=True)

st.header("Walkthroughs", anchor=False)
cards = [(page, block) for page, block in pages() if page is not HOME]
for start in range(0, len(cards), 3):
    for col, (page, block) in zip(st.columns(3), cards[start:start + 3]):
        with col.container(border=True, height="stretch"):
            st.markdown(f"**{page.icon} {page.title}**")
            st.markdown(page.summary)
            st.page_link(st_page(page, block), label="Open", icon=":material/arrow_forward:")

st.header("How to use it", anchor=False)
st.markdown(
    "- **Step**: *Previous* / *Next* (or Page Up / Page Down, as a presentation clicker sends) or the "
    "step slider walk through a block one multiply at a time.\n"
    "- **Play**: press *Play* to watch the steps go by (slow, normal or fast), e.g. on a projector.\n"
    "- **Pick a cell**: click a cell of a product (or choose its row and column) to light up the row and "
    "column it comes from and see the dot product written out.\n"
    "- **Edit**: open *Edit the example* and type any number, fraction (`1/3`) or decimal; every step "
    "updates at once, exactly. *New random example* gives small integers with a seed you can quote.\n"
    "- **Compare**: switch the skip connection off to see what it adds, and check the numbers against "
    "the same layers in PyTorch.\n"
    "- **Share**: the address bar holds the example and the step; copy it to share exactly what you see.\n"
    "- **Practise**: fill in blank cells and check them, or print worksheets with answer keys.")

"""ByHand: deep-learning blocks worked out by hand as small stacked matrices.

A skip connection is an identity matrix stacked beside the weights, so that one multiply
gives F(X) + X. Every block returns a ``Walkthrough`` of ``Step``s that every renderer uses.
"""

from .encoder import encoder_block
from .examples import default_encoder, default_residual, random_encoder, random_residual
from .numbers import MAX_DIM, ByHandError, as_matrix, fmt, parse_number
from .residual import residual_block
from .stacked import Part, Stacked, hstack, identity, ones, part, vstack
from .transformer import from_torch, random_transformer_params, transformer_layer
from .walkthrough import Op, Step, Walkthrough, dot_product_text

__all__ = [
    "ByHandError", "MAX_DIM", "Op", "Part", "Stacked", "Step", "Walkthrough",
    "as_matrix", "default_encoder", "default_residual", "dot_product_text", "encoder_block",
    "fmt", "from_torch", "hstack", "identity", "ones", "parse_number", "part",
    "random_encoder", "random_residual", "random_transformer_params", "residual_block",
    "transformer_layer", "vstack",
]

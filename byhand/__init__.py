"""ByHand: deep-learning blocks worked out by hand as small stacked matrices.

A skip connection is an identity matrix stacked beside the weights, so that one multiply
gives F(X) + X. Every block returns a ``Walkthrough`` of ``Step``s that every renderer uses.
"""

from .blocks.attention import default_self_attention, random_self_attention, self_attention
from .blocks.conv import (
                   bottleneck_block,
                   conv_block,
                   default_bottleneck,
                   default_conv,
                   parameter_count,
                   random_bottleneck,
                   random_conv,
                   receptive_field,
)
from .blocks.encoder import default_encoder, encoder_block, random_encoder
from .blocks.jacobian import (
                   backprop_block,
                   block_jacobian,
                   default_jacobian,
                   default_unrolled,
                   jacobian_walkthrough,
                   random_jacobian,
                   unrolled_walkthrough,
)
from .blocks.residual import default_residual, random_residual, residual_block
from .blocks.transformer import random_transformer_params, transformer_layer
from .depth import GradientNorms, TrainingRun, gradient_norms, toy_data, train_stacks
from .numbers import MAX_DIM, ByHandError, as_matrix, fmt, parse_number
from .ops import Op
from .practice import ExerciseSpec, check_answers, hint, make_exercise
from .stacked import Part, Stacked, hstack, identity, ones, part, vstack
from .superres import residual_image
from .torchwalk import from_torch  # any small traceable model (an encoder layer alone: as before)
from .walkthrough import Step, Walkthrough, dot_product_text

__all__ = [
    "ByHandError", "ExerciseSpec", "GradientNorms", "MAX_DIM", "Op", "Part", "Stacked", "Step",
    "TrainingRun", "Walkthrough", "as_matrix", "backprop_block", "block_jacobian",
    "bottleneck_block", "check_answers", "conv_block", "default_bottleneck", "default_conv",
    "default_encoder", "default_jacobian", "default_residual", "default_unrolled",
    "dot_product_text", "encoder_block", "fmt", "from_torch", "gradient_norms", "hint", "hstack",
    "identity", "jacobian_walkthrough", "make_exercise", "ones", "parameter_count", "parse_number",
    "part", "random_bottleneck", "random_conv", "random_encoder", "random_jacobian",
    "random_residual", "random_transformer_params", "receptive_field", "residual_block",
    "residual_image", "toy_data", "train_stacks", "transformer_layer", "unrolled_walkthrough",
    "vstack",
    "default_self_attention", "random_self_attention", "self_attention",  # the attention block
]

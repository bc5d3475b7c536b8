"""The tools of lesson 08: the lesion study, loss-landscape slices and Grad-CAM, on small networks."""

import resnet_lib as rl

import keras
import numpy as np
import pytest


@pytest.fixture(scope="module")
def twins():
    keras.backend.clear_session(free_memory=False)
    return {
        residual: rl.randomize_weights(
            rl.cifar_resnet(14, (12, 12, 1), 4, width=4, residual=residual), seed=1
        )
        for residual in (True, False)
    }


def _x(n=6, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 12, 12, 1)).astype("float32")


def _zero_branches(model, blocks):
    """The same deletion done the other way: the last BatchNormalization of each branch outputs 0."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for block in blocks:
        gamma, beta, mean, variance = copy.get_layer(f"{block}_2_bn").get_weights()
        copy.get_layer(f"{block}_2_bn").set_weights([0 * gamma, 0 * beta, mean, variance])
    return copy


@pytest.mark.parametrize(
    "blocks", [["stage1_block2"], ["stage2_block1"], ["stage2_block1", "stage2_block2", "stage3_block1"]]
)
def test_deleting_a_residual_branch_keeps_the_shortcut(twins, blocks):
    model = twins[True]
    lesioned = rl.delete_blocks(model, blocks)
    assert not any(layer.name.startswith(f"{blocks[0]}_1_") for layer in lesioned.layers)
    x = _x()
    want = np.asarray(_zero_branches(model, blocks)(x, training=False))
    np.testing.assert_allclose(np.asarray(lesioned(x, training=False)), want, atol=1e-6)
    assert np.abs(np.asarray(model(x, training=False)) - want).max() > 1e-3  # the deletion changed something


def test_plain_blocks_go_whole_and_only_where_the_shape_stays(twins):
    model = twins[False]
    assert rl.block_names(model) == [f"stage{s}_block{b}" for s in (1, 2, 3) for b in (1, 2)]
    lesioned = rl.delete_blocks(model, "stage2_block2")
    assert len(lesioned.layers) == len(model.layers) - 6  # conv, BN and ReLU, twice
    assert (
        lesioned.get_layer("stage3_block1_1_conv").input.shape
        == model.get_layer("stage2_block2_2_relu").output.shape
    )
    with pytest.raises(ValueError, match="changes the shape"):
        rl.delete_blocks(model, "stage2_block1")
    with pytest.raises(ValueError, match="no block 'stage4_block1'.*stage1_block1"):
        rl.delete_blocks(model, ["stage4_block1"])
    x = _x()  # the copy shares no weights: changing it leaves the model alone
    before = np.asarray(model(x, training=False))
    lesioned.get_layer("stem_conv").kernel.assign(np.zeros(lesioned.get_layer("stem_conv").kernel.shape))
    np.testing.assert_array_equal(np.asarray(model(x, training=False)), before)


def test_filter_normalized_direction(twins):
    model = twins[True]
    direction = rl.filter_normalized_direction(model, seed=4)
    assert len(direction) == len(model.trainable_weights)
    for weight, d in zip(model.trainable_weights, direction):
        w = np.asarray(weight)
        assert d.shape == w.shape
        if w.ndim == 1:  # biases, gamma and beta stay put
            assert not d.any()
        else:
            axes = tuple(range(w.ndim - 1))
            np.testing.assert_allclose(
                np.linalg.norm(d.reshape(-1, w.shape[-1]), axis=0), np.sqrt((w * w).sum(axis=axes)), rtol=1e-5
            )
    again = rl.filter_normalized_direction(model, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(direction, again))


def test_loss_surface_restores_every_weight(twins):
    model = twins[True]
    x, y = _x(8), np.arange(8) % 4
    before = [np.asarray(w).copy() for w in model.weights]
    d = rl.filter_normalized_direction(model, seed=0)
    losses = rl.loss_surface(model, x, y, [d, d], [[0, 0], [0.5, 0.5], [1, 0]])
    assert all(np.array_equal(a, np.asarray(b)) for a, b in zip(before, model.weights))
    at_theta = float(keras.losses.SparseCategoricalCrossentropy()(y, model(x, training=True)))
    for w, value in zip(model.weights, before):  # that call moved the BN statistics
        w.assign(value)
    assert losses.shape == (3,) and losses[0] == pytest.approx(at_theta, rel=1e-5)
    assert losses[1] == pytest.approx(losses[2], rel=1e-5)  # 0.5 d + 0.5 d is 1 d
    assert not np.isclose(losses[0], losses[2])


def test_grad_cam(twins):
    model = twins[True]
    x = _x(3)
    maps, classes = rl.grad_cam(model, x, "stage3_block2_out")
    assert maps.shape == (3, 12, 12) and maps.min() >= 0 and np.allclose(maps.max(axis=(1, 2)), 1)
    np.testing.assert_array_equal(classes, np.asarray(model(x, training=False)).argmax(axis=1))
    other, chosen = rl.grad_cam(model, x, "stage3_block2_out", classes=[0, 1, 2])
    np.testing.assert_array_equal(chosen, [0, 1, 2])

# Copyright (c) mmdetco contributors. All rights reserved.
import pytest
import torch
from mmpretrain.registry import MODELS

from ...conftest import tiny_detco_cfg, tiny_inputs


def test_loss_keys_and_total(tiny_detco):
    losses = tiny_detco(tiny_inputs(), mode='loss')
    terms = {
        f'loss_{t}_{lv}'
        for t in ('gg', 'll', 'lg')
        for lv in ('res2', 'res3', 'res4', 'res5')
    }
    accuracies = {name.replace('loss', 'acc') for name in terms}
    assert set(losses) == {'loss'} | terms | accuracies
    weights = dict(res2=0.1, res3=0.4, res4=0.7, res5=1.0)
    expected = sum(weights[name[-4:]] * losses[name] for name in terms)
    torch.testing.assert_close(losses['loss'].detach(), expected)
    # parse_losses optimises the weighted total only
    loss, log_vars = tiny_detco.parse_losses(losses)
    torch.testing.assert_close(loss, losses['loss'])
    assert set(log_vars) == set(losses)


def test_queues_are_buffers_saved_in_the_state_dict(tiny_detco):
    state = tiny_detco.state_dict()
    for kind in ('global', 'local'):
        queue = state[f'queue_{kind}']
        assert queue.shape == (4, 8, 16)
        torch.testing.assert_close(queue.norm(dim=1), torch.ones(4, 16))
    assert state['queue_ptr'].item() == 0
    assert not any(
        n.startswith('queue') for n, _ in tiny_detco.named_parameters())


def test_enqueue_advances_the_pointer_with_the_keys(tiny_detco):
    inputs = tiny_inputs(batch_size=4)
    tiny_detco(inputs, mode='loss')
    assert tiny_detco.queue_ptr.item() == 4
    images, patches = tiny_detco._split_views(inputs)
    # the key encoder has not changed since: same keys again
    k_global, k_local = tiny_detco._encode_keys(images[1], patches[1])
    for i in range(4):
        torch.testing.assert_close(tiny_detco.queue_global[i, :, :4],
                                   k_global[i].T)
        torch.testing.assert_close(tiny_detco.queue_local[i, :, :4],
                                   k_local[i].T)


def test_enqueue_wraps_around(tiny_detco):
    batches = [[torch.full((4, 8), float(step + 10 * i)) for i in range(4)]
               for step in range(5)]
    for step, keys in enumerate(batches):
        tiny_detco._dequeue_and_enqueue(keys, [-k for k in keys])
    # 5 batches of 4 keys in a queue of 16: batch 4 overwrote slots 0..3
    assert tiny_detco.queue_ptr.item() == 4
    assert torch.all(tiny_detco.queue_global[2, :, 0:4] == 24.)
    assert torch.all(tiny_detco.queue_global[2, :, 4:8] == 21.)
    assert torch.all(tiny_detco.queue_local[1, :, 12:16] == -13.)


def test_queue_len_must_be_a_multiple_of_the_batch(tiny_detco):
    keys = [torch.zeros(3, 8)] * 4
    with pytest.raises(ValueError, match=r'queue_len.*\(16\).*\(3'):
        tiny_detco._dequeue_and_enqueue(keys, keys)


def test_momentum_update_is_moco_m_0999(tiny_detco):
    """key = 0.999 * key + 0.001 * query after a step (mmengine's EMA with
    momentum=0.001); the first step copies the query encoder."""
    model = tiny_detco
    model(tiny_inputs(), mode='loss')
    query = dict(model.backbone.named_parameters())
    key = dict(model.encoder_k.module[0].named_parameters())
    for name in query:
        torch.testing.assert_close(key[name], query[name])

    with torch.no_grad():  # an optimizer step on the query encoder
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p))
    old_key = {n: p.clone() for n, p in key.items()}
    model(tiny_inputs(), mode='loss')
    for name, q in query.items():
        expected = 0.999 * old_key[name] + 0.001 * q
        assert torch.allclose(key[name], expected, atol=1e-6), name
    # the key encoder is never trained
    assert not any(p.requires_grad for p in model.encoder_k.parameters())


def test_symmetric_enqueues_both_directions():
    torch.manual_seed(0)
    model = MODELS.build(tiny_detco_cfg(symmetric=True))
    losses = model(tiny_inputs(batch_size=4), mode='loss')
    assert model.queue_ptr.item() == 8
    assert losses['loss'].requires_grad


def test_backward_reaches_backbone_and_neck_only(tiny_detco):
    tiny_detco(tiny_inputs(), mode='loss')['loss'].backward()
    assert tiny_detco.backbone.conv1.weight.grad is not None
    assert tiny_detco.neck.local_mlps[0][0].weight.grad is not None
    assert all(p.grad is None for p in tiny_detco.encoder_k.parameters())


def test_wrong_number_of_views_is_refused(tiny_detco):
    with pytest.raises(ValueError, match='expects 20 views.*got 2'):
        tiny_detco(tiny_inputs()[:2], mode='loss')


def test_momentum_in_moco_convention_is_refused():
    with pytest.raises(ValueError, match='pass 1 - m'):
        MODELS.build(tiny_detco_cfg(momentum=0.999))


def test_levels_of_neck_and_head_must_agree():
    cfg = tiny_detco_cfg()
    cfg['head'] = dict(
        type='DetCoHead', levels=('res5', ), level_weights=(1., ))
    with pytest.raises(ValueError, match='4 levels'):
        MODELS.build(cfg)


def test_res5_only_ablation_builds_and_trains():
    cfg = tiny_detco_cfg()
    cfg['backbone']['out_indices'] = (3, )
    cfg['neck']['in_channels'] = (512, )
    cfg['head'] = dict(
        type='DetCoHead', levels=('res5', ), level_weights=(1., ))
    model = MODELS.build(cfg)
    losses = model(tiny_inputs(), mode='loss')
    assert {k
            for k in losses if k.startswith('loss')
            } == {'loss', 'loss_gg_res5', 'loss_ll_res5', 'loss_lg_res5'}
    assert model.queue_global.shape == (1, 8, 16)


def test_channels_last_gives_the_same_losses_and_gradients():
    torch.manual_seed(0)
    plain = MODELS.build(tiny_detco_cfg())
    fast = MODELS.build(tiny_detco_cfg(channels_last=True))
    fast.load_state_dict(plain.state_dict())
    conv = fast.backbone.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert fast.encoder_k.module[0].conv1.weight.is_contiguous(
        memory_format=torch.channels_last)
    inputs = tiny_inputs()
    losses = [model(inputs, mode='loss') for model in (plain, fast)]
    for loss in losses:
        loss['loss'].backward()
    torch.testing.assert_close(losses[1]['loss'], losses[0]['loss'])
    expected = plain.backbone.conv1.weight.grad
    # other convolution kernels: equal up to float rounding
    assert (conv.grad - expected).norm() < 1e-4 * expected.norm()


@pytest.mark.stack
@pytest.mark.slow
def test_compile_keeps_the_state_dict_names():
    """``compile`` compiles the encoders for the training step: checkpoints
    keep their keys (a registered ``torch.compile(module)`` would prefix
    them with ``_orig_mod``), and the modules themselves stay eager for the
    hooks' passes (tests/test_models/test_selfsup/test_detco_compile.py)."""
    torch.manual_seed(0)
    compiled = MODELS.build(tiny_detco_cfg(compile=dict(dynamic=False)))
    plain = MODELS.build(tiny_detco_cfg())
    assert list(compiled.state_dict()) == list(plain.state_dict())
    modules = (compiled.backbone, compiled.neck, *compiled.encoder_k.module)
    assert [m for m, _ in compiled._compiled] == list(modules)
    assert all(c._orig_mod is m for m, c in compiled._compiled)
    assert all(m._compiled_call_impl is None for m in modules)
    assert plain._compiled == []


def test_bf16_autocast_keeps_queues_and_logits_in_fp32(tiny_detco):
    """Mixed precision end to end (``--amp bf16``; on the CPU through
    autocast): the backbone runs in bf16, the loss, the queues and the keys
    written into them stay fp32."""
    with torch.autocast('cpu', dtype=torch.bfloat16):
        feats = tiny_detco.backbone(tiny_inputs()[0])
        losses = tiny_detco(tiny_inputs(), mode='loss')
    assert feats[0].dtype == torch.bfloat16
    assert losses['loss'].dtype == torch.float32
    assert torch.isfinite(losses['loss'])
    for kind in ('global', 'local'):
        queue = getattr(tiny_detco, f'queue_{kind}')
        assert queue.dtype == torch.float32
        # the 4 keys just written are unit vectors (bf16-rounded)
        norms = queue[:, :, :4].norm(dim=1)
        torch.testing.assert_close(
            norms, torch.ones_like(norms), atol=1e-2, rtol=0)
    losses['loss'].backward()
    assert tiny_detco.backbone.conv1.weight.grad.dtype == torch.float32


def test_embed_is_the_query_encoder_on_views_1(tiny_detco):
    inputs = tiny_inputs(batch_size=4)
    with torch.no_grad():
        embeddings = tiny_detco.embed(inputs)
        images, patches = tiny_detco._split_views(inputs)
        expected = tiny_detco._encode(
            torch.nn.Sequential(tiny_detco.backbone, tiny_detco.neck),
            images[0], patches[0])
        # global view 2 and patch set 2 play no part
        fresh = tiny_inputs(batch_size=4)
        again = tiny_detco.embed(
            [inputs[0], fresh[1], *inputs[2:11], *fresh[11:]])
    assert [len(e) for e in embeddings] == [4, 4]
    for got, want, same in zip(embeddings[0] + embeddings[1],
                               expected[0] + expected[1], again[0] + again[1]):
        assert got.shape == (4, tiny_detco.feat_dim)
        torch.testing.assert_close(got, want)
        torch.testing.assert_close(got, same)


def _backbone_calls(model, inputs):
    """How often each encoder's backbone runs in one training step."""
    calls = []
    for name, backbone in (('query', model.backbone),
                           ('key', model.encoder_k.module[0])):
        backbone.register_forward_hook(
            lambda *_, name=name: calls.append(name))
    model(inputs, mode='loss')
    return {name: calls.count(name) for name in ('query', 'key')}


def test_gg_only_builds_and_runs_no_local_branch():
    """Without ``ll`` and ``lg`` no local MLPs exist (no unused parameter
    for DDP), the patches are not embedded and the local queue is empty."""
    torch.manual_seed(0)
    model = MODELS.build(
        tiny_detco_cfg(head=dict(type='DetCoHead', loss_terms=('gg', ))))
    assert not model.with_local and not model.neck.with_local
    assert not any('local_mlps' in n for n in model.state_dict())
    assert model.queue_local.shape == (0, 8, 16)
    inputs = tiny_inputs(batch_size=4)
    # one backbone pass per encoder: the global view alone
    assert _backbone_calls(model, inputs) == dict(query=1, key=1)
    losses = model(inputs, mode='loss')
    assert set(losses) == {'loss'} | {
        f'{kind}_gg_{lv}'
        for kind in ('loss', 'acc') for lv in ('res2', 'res3', 'res4', 'res5')
    }
    losses['loss'].backward()
    assert all(p.grad is not None for p in model.neck.parameters())
    assert model.queue_ptr.item() == 8  # 2 steps of 4 global keys
    embeddings = model.embed(inputs)
    assert len(embeddings[0]) == 4 and embeddings[1] == []
    model.log_health = True
    health = {k for k in model(inputs, mode='loss') if k.startswith('spr')}
    assert health == {f'spread_global_res{i}' for i in range(2, 6)}


def test_full_detco_embeds_the_patches():
    torch.manual_seed(0)
    model = MODELS.build(
        tiny_detco_cfg(head=dict(type='DetCoHead', loss_terms=('gg', 'lg'))))
    assert model.with_local and len(model.neck.local_mlps) == 4
    assert model.queue_local.shape == (4, 8, 16)
    assert _backbone_calls(model, tiny_inputs()) == dict(query=2, key=2)


def test_neck_with_local_that_the_head_contradicts_is_refused():
    cfg = tiny_detco_cfg(head=dict(type='DetCoHead', loss_terms=('gg', )))
    cfg['neck']['with_local'] = True
    with pytest.raises(ValueError, match=r'with_local=True.*use no local'):
        MODELS.build(cfg)
    cfg = tiny_detco_cfg()
    cfg['neck']['with_local'] = False
    with pytest.raises(ValueError, match=r'with_local=False.*use local'):
        MODELS.build(cfg)

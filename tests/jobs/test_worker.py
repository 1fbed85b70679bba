"""The batch engine in one process: items run through the task runner, errors isolated and retried, cancel,
resume, leases of stopped workers."""

from __future__ import annotations

import threading

from assistant.jobs.store import JobStore, owner_id
from assistant.jobs.worker import Worker
from assistant.tasks.base import Principal


def _job(store: JobStore, texts: list[dict], **kwargs) -> str:
    inputs = [(n + 2, {"text": t} if isinstance(t, str) else t) for n, t in enumerate(texts)]
    return store.create("echo", inputs, Principal(name="tester"), source_name="t.csv", **kwargs).id


def test_every_item_runs_once_and_the_job_is_done(store, runner):
    job_id = _job(store, [f"照会{i}" for i in range(20)])
    seen = []
    progress = Worker(runner, store, concurrency=4, on_progress=seen.append).run(job_id)
    assert progress.state == "done" and progress.done == 20 and progress.unfinished == 0
    items = store.items(job_id)
    assert [i.result["answer"] for i in items] == [f"回答：照会{i}" for i in range(20)]
    assert all(i.attempts == 1 and i.lease_owner is None for i in items)
    assert seen[-1].done == 20
    assert store.get(job_id).finished_at is not None


def test_errors_are_isolated_retried_and_bounded(store, runner):
    job_id = _job(store, [
        "普通の行",
        {"text": "二度失敗する行", "fail": 2},
        {"text": "必ず失敗する行", "fail": 99},
        {"text": "方針で拒否される行", "refuse": True},
    ])  # fmt: skip
    worker = Worker(runner, store, concurrency=2, max_attempts=3, retry_delay=0.0)
    progress = worker.run(job_id)
    assert (progress.done, progress.failed, progress.state) == (2, 2, "done")
    by_text = {i.input["text"]: i for i in store.items(job_id)}
    assert by_text["二度失敗する行"].state == "done" and by_text["二度失敗する行"].attempts == 3
    assert by_text["必ず失敗する行"].state == "failed" and by_text["必ず失敗する行"].attempts == 3
    assert "一時的な障害" in by_text["必ず失敗する行"].error
    refused = by_text["方針で拒否される行"]
    assert refused.state == "failed" and refused.attempts == 1 and "方針" in refused.error


def test_resume_queues_failed_items_again_and_keeps_done_ones(store, runner):
    job_id = _job(store, ["一", {"text": "二", "fail": 3}])
    Worker(runner, store, max_attempts=3, retry_delay=0.0).run(job_id)
    assert store.progress(job_id).failed == 1
    assert store.resume(job_id) == 1
    progress = Worker(runner, store, max_attempts=3, retry_delay=0.0).run(job_id)
    assert (progress.done, progress.failed, progress.state) == (2, 0, "done")


def test_cancel_stops_a_running_job_and_resume_finishes_it(store, runner):
    job_id = _job(store, [{"text": f"行{i}", "sleep": 0.05} for i in range(40)])
    worker = Worker(runner, store, concurrency=2)
    thread = threading.Thread(target=worker.run, args=(job_id,))
    thread.start()
    while store.progress(job_id).done < 3:
        pass
    assert store.cancel(job_id)
    thread.join(timeout=30)
    progress = store.progress(job_id)
    assert progress.state == "cancelled" and progress.running == 0 and progress.pending == 0
    assert progress.cancelled > 0 and progress.done + progress.cancelled == 40
    assert not store.cancel(job_id)  # only a running job can be cancelled
    store.resume(job_id)
    progress = Worker(runner, store, concurrency=4).run(job_id)
    assert (progress.state, progress.done) == ("done", 40)


def test_items_of_a_stopped_worker_are_claimed_again_without_a_second_result(store, runner):
    job_id = _job(store, ["甲", "乙", "丙"])
    dead = owner_id("gone")
    claimed = store.claim(job_id, dead, 2, lease_seconds=300)
    assert len(claimed) == 2
    # the lease has not expired and the "process" is this one: nothing to release yet
    assert store.release_stale(job_id, max_attempts=3) == 0
    assert store.release_stale(job_id, max_attempts=3, gone=lambda owner: owner == dead) == 2
    progress = Worker(runner, store).run(job_id)
    assert progress.done == 3
    # the stopped worker comes back and tries to record its result: refused, the item keeps one result
    assert not store.complete(claimed[0].id, dead, {"answer": "二重"})
    assert store.items(job_id)[0].result["answer"] == "回答：甲"
    assert store.items(job_id)[0].attempts == 2


def test_expired_leases_are_released_and_a_worker_lost_too_often_fails_the_item(store):
    job_id = _job(store, ["甲"])
    for _ in range(3):
        assert len(store.claim(job_id, owner_id("x"), 1, lease_seconds=-1)) == 1
        store.release_stale(job_id, max_attempts=3)
    (item,) = store.items(job_id)
    assert item.state == "failed" and "作業プロセスが停止" in item.error


def test_a_job_of_a_disabled_owner_fails_its_items(store, runner):
    from assistant.records import create_user, set_user_disabled

    with store.write.begin() as session:
        user, _ = create_user(session, "sato", ["総務課"], 1)
        set_user_disabled(session, user, True)
    job_id = _job(store, ["甲", "乙"], user_id=user.id)
    progress = Worker(runner, store).run(job_id)
    assert (progress.failed, progress.state) == (2, "done")
    assert "無効" in store.items(job_id)[0].error

/*
 * HCS_OPERATION: created by the caller, used by exactly one call, completed
 * asynchronously on a pool thread (after MockSetCompletionDelay, if any).
 * The action of the call is carried out at completion time, so a delayed
 * operation is really pending: the state changes when it completes.
 *
 * Signals and terminations of a process are queued per system handle (the
 * one the process handle was created or opened through), as HCS does
 * (hcsshim, internal/hcs/process.go, Kill): each waits, pending, until the
 * one before it for the same process on the same system handle completes.
 * A call held by MockHoldNext stays pending until MockReleaseHeld.
 */
#include "mock.h"

#include <stdlib.h>
#include <string.h>

enum opstate { OPS_NEW, OPS_PENDING, OPS_DONE };

struct op {
	struct hobj h;
	int refs;            /* 1 while open, + scheduled completions and waiters */
	CONDITION_VARIABLE cv; /* waiters for this operation's result */
	bool closed;
	bool completing;
	bool scheduled;      /* its completion is submitted to the pool */
	bool held;           /* MockHoldNext: not scheduled until released */
	bool queued;         /* in the control queue (c.queue set) */
	UINT64 id;
	void *ctx;
	HCS_OPERATION_COMPLETION cb;
	enum opstate state;
	struct call c;       /* sink/sys/proc hold references */
	char *arg;           /* UTF-8 copy of c.arg */
	HRESULT forced;      /* S_OK, or the HRESULT to complete with */
	bool exit_during;
	struct outcome res;
	bool pi_taken;       /* the caller has received the pipe handles */
	struct op *prev, *next; /* pending list */
	struct op *qprev, *qnext; /* control queue, in issue order */
};

static UINT64 g_next_id = 1;
static struct op *g_pending;
static struct op *g_qhead, *g_qtail;

static void op_release(struct op *o)
{
	if (--o->refs > 0)
		return;
	if (o->res.has_pi && !o->pi_taken) {
		/* Nobody took the pipes: do not leak them. */
		HANDLE hs[3] = {o->res.pi.StdInput, o->res.pi.StdOutput, o->res.pi.StdError};
		for (int i = 0; i < 3; i++)
			if (hs[i] && hs[i] != INVALID_HANDLE_VALUE)
				CloseHandle(hs[i]);
	}
	if (o->c.sink)
		sink_release(o->c.sink);
	if (o->c.queue)
		sink_release(&o->c.queue->s);
	if (o->c.sys)
		sys_release(o->c.sys);
	if (o->c.proc)
		proc_release(o->c.proc);
	free(o->arg);
	free(o->res.doc);
	h_free(o);
}

/* The open operation h, for a call of fn; anything else is fatal. */
static struct op *find_op(HCS_OPERATION h, const char *fn)
{
	return (struct op *)h_use(h, HK_OP, fn);
}

HCS_OPERATION WINAPI HcsCreateOperation(const void *context, HCS_OPERATION_COMPLETION callback)
{
	struct op *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->h.kind = HK_OP;
	o->refs = 1;
	o->ctx = (void *)context;
	o->cb = callback;
	o->c.type = HcsOperationTypeNone;
	lock();
	HRESULT hr;
	bool sync;
	if (fault_take("HcsCreateOperation", &hr, &sync)) {
		unlock();
		free(o);
		return NULL;
	}
	o->id = g_next_id++;
	htab_add(&o->h);
	unlock();
	return (HCS_OPERATION)o;
}

void WINAPI HcsCloseOperation(HCS_OPERATION operation)
{
	lock();
	struct op *o = find_op(operation, "HcsCloseOperation");
	/* Closing a pending operation is a caller error; it is freed after
	 * completion and its callback is not called. */
	h_closed(&o->h, "HcsCloseOperation");
	htab_del(&o->h);
	o->closed = true;
	op_release(o);
	unlock();
}

void op_drop(struct hobj *h)
{
	struct op *o = (struct op *)h;
	o->closed = true;
	op_release(o);
}

void *WINAPI HcsGetOperationContext(HCS_OPERATION operation)
{
	lock();
	void *ctx = find_op(operation, "HcsGetOperationContext")->ctx;
	unlock();
	return ctx;
}

HRESULT WINAPI HcsSetOperationContext(HCS_OPERATION operation, const void *context)
{
	lock();
	find_op(operation, "HcsSetOperationContext")->ctx = (void *)context;
	unlock();
	return S_OK;
}

HRESULT WINAPI HcsSetOperationCallback(HCS_OPERATION operation, const void *context,
				       HCS_OPERATION_COMPLETION callback)
{
	HRESULT hr = S_OK;
	lock();
	struct op *o = find_op(operation, "HcsSetOperationCallback");
	if (o->state != OPS_NEW) {
		hr = MOCK_E_OPERATION_ALREADY_STARTED;
	} else {
		o->ctx = (void *)context;
		o->cb = callback;
	}
	unlock();
	return hr;
}

HCS_SYSTEM WINAPI HcsGetComputeSystemFromOperation(HCS_OPERATION operation)
{
	lock();
	HCS_SYSTEM s = find_op(operation, "HcsGetComputeSystemFromOperation")->c.sysval;
	unlock();
	return s;
}

HCS_PROCESS WINAPI HcsGetProcessFromOperation(HCS_OPERATION operation)
{
	lock();
	HCS_PROCESS p = find_op(operation, "HcsGetProcessFromOperation")->c.procval;
	unlock();
	return p;
}

HCS_OPERATION_TYPE WINAPI HcsGetOperationType(HCS_OPERATION operation)
{
	lock();
	HCS_OPERATION_TYPE t = find_op(operation, "HcsGetOperationType")->c.type;
	unlock();
	return t;
}

UINT64 WINAPI HcsGetOperationId(HCS_OPERATION operation)
{
	lock();
	UINT64 id = find_op(operation, "HcsGetOperationId")->id;
	unlock();
	return id;
}

HRESULT WINAPI HcsCancelOperation(HCS_OPERATION operation)
{
	lock();
	find_op(operation, "HcsCancelOperation");
	unlock();
	return E_NOTIMPL; /* as documented */
}

/* The result of a completed op (under lock). */
static HRESULT op_result(struct op *o, HCS_PROCESS_INFORMATION *pi, PWSTR *doc)
{
	if (o->state == OPS_NEW)
		return MOCK_E_OPERATION_NOT_STARTED;
	if (o->state != OPS_DONE)
		return MOCK_E_OPERATION_PENDING;
	if (pi) {
		if (o->res.has_pi) {
			*pi = o->res.pi;
			o->pi_taken = true;
		} else {
			memset(pi, 0, sizeof(*pi));
		}
	}
	char *text = str_dup(o->res.doc);
	HRESULT hr = o->res.hr;
	unlock(); /* result_alloc takes the lock */
	HRESULT ahr = result_out(doc, text);
	free(text);
	lock();
	return FAILED(ahr) ? ahr : hr;
}

static HRESULT get_result(const char *fn, HCS_OPERATION operation, HCS_PROCESS_INFORMATION *pi,
			  PWSTR *doc)
{
	if (doc)
		*doc = NULL;
	lock();
	struct op *o = find_op(operation, fn);
	o->refs++;
	HRESULT hr = op_result(o, pi, doc);
	op_release(o);
	unlock();
	return hr;
}

static HRESULT wait_result(const char *fn, HCS_OPERATION operation, DWORD timeout,
			   HCS_PROCESS_INFORMATION *pi, PWSTR *doc)
{
	if (doc)
		*doc = NULL;
	ULONGLONG deadline = deadline_after(timeout);
	lock();
	struct op *o = find_op(operation, fn);
	o->refs++;
	HRESULT hr;
	for (;;) {
		if (o->state != OPS_PENDING) {
			hr = op_result(o, pi, doc);
			break;
		}
		/* This operation's own variable: a completion wakes its
		 * waiters only, not every thread waiting for a result. */
		if (!cv_wait_on(&o->cv, deadline) && o->state == OPS_PENDING) {
			hr = MOCK_E_OPERATION_TIMEOUT;
			break;
		}
	}
	op_release(o);
	unlock();
	return hr;
}

HRESULT WINAPI HcsGetOperationResult(HCS_OPERATION operation, PWSTR *resultDocument)
{
	return get_result("HcsGetOperationResult", operation, NULL, resultDocument);
}

HRESULT WINAPI HcsGetOperationResultAndProcessInfo(HCS_OPERATION operation,
						   HCS_PROCESS_INFORMATION *processInformation,
						   PWSTR *resultDocument)
{
	return get_result("HcsGetOperationResultAndProcessInfo", operation, processInformation,
			  resultDocument);
}

HRESULT WINAPI HcsWaitForOperationResult(HCS_OPERATION operation, DWORD timeoutMs,
					 PWSTR *resultDocument)
{
	return wait_result("HcsWaitForOperationResult", operation, timeoutMs, NULL, resultDocument);
}

HRESULT WINAPI HcsWaitForOperationResultAndProcessInfo(HCS_OPERATION operation, DWORD timeoutMs,
						       HCS_PROCESS_INFORMATION *processInformation,
						       PWSTR *resultDocument)
{
	return wait_result("HcsWaitForOperationResultAndProcessInfo", operation, timeoutMs,
			   processInformation, resultDocument);
}

/* ---- completion -------------------------------------------------------- */

static const char *sys_id_of(const struct call *c)
{
	if (c->sys)
		return c->sys->id;
	if (c->proc && c->proc->sys)
		return c->proc->sys->id;
	return NULL;
}

static void op_schedule(struct op *o);
static void dequeue(struct op *o);

static void op_complete(struct op *o)
{
	struct outcome out = {0};
	lock();
	if (o->state != OPS_PENDING || o->completing) {
		op_release(o); /* another completion won (disconnect) */
		unlock();
		return;
	}
	o->completing = true;
	if (o->prev)
		o->prev->next = o->next;
	else
		g_pending = o->next;
	if (o->next)
		o->next->prev = o->prev;

	struct system *sys = o->c.sys ? o->c.sys : o->c.proc ? o->c.proc->sys : NULL;
	if (o->forced != S_OK) {
		out.hr = o->forced;
	} else if (g_disconnected) {
		out.hr = MOCK_E_SERVICE_DISCONNECT;
	} else if (o->exit_during && sys && sys->registered && sys->state != SS_STOPPED) {
		sys_stop(sys, "UnexpectedExit", &out.evs);
		out.hr = o->c.act == ACT_START ? MOCK_E_TERMINATED_DURING_START
					       : MOCK_E_UNEXPECTED_EXIT;
	} else if (o->c.act == ACT_ENUM) {
		sys_enumerate(o->arg, &out);
	} else if (o->c.proc) {
		proc_run(o->c.proc, &o->c, o->arg, &out);
	} else {
		sys_run(o->c.sys, &o->c, o->arg, &out);
	}
	if (FAILED(out.hr) && !out.doc)
		out.doc = result_error(out.hr, o->c.fn, sys_id_of(&o->c));
	unlock();

	/* Events caused by the call reach their callbacks before the
	 * operation completes, in order, on this pool thread. */
	ev_deliver(&out.evs);

	lock();
	o->res = out;
	o->state = OPS_DONE;
	WakeAllConditionVariable(&o->cv);
	if (o->queued)
		dequeue(o);
	HCS_OPERATION_COMPLETION cb = o->closed ? NULL : o->cb;
	void *ctx = o->ctx;
	struct evlist evs = {0};
	if (!o->closed && o->c.sink && (o->c.sink->opts & HcsEventOptionEnableOperationCallbacks))
		ev_add(&evs, o->c.sink, HcsEventOperationCallback, NULL, (HCS_OPERATION)o);
	if (cb)
		InterlockedIncrement(&g_inflight);
	unlock();

	if (cb) {
		cb_enter();
		cb((HCS_OPERATION)o, ctx);
		cb_leave();
		InterlockedDecrement(&g_inflight);
	}
	ev_deliver(&evs);

	lock();
	op_release(o);
	unlock();
}

static void CALLBACK op_work(PTP_CALLBACK_INSTANCE inst, PVOID ctx)
{
	(void)inst;
	op_complete(ctx);
}

static void CALLBACK op_timer(PTP_CALLBACK_INSTANCE inst, PVOID ctx, PTP_TIMER t)
{
	(void)inst;
	op_complete(ctx);
	CloseThreadpoolTimer(t);
}

static DWORD WINAPI op_thread(void *ctx)
{
	op_complete(ctx);
	return 0;
}

/* Submits o's completion to the pool (lock held). */
static void op_schedule(struct op *o)
{
	o->scheduled = true;
	o->refs++; /* the scheduled completion */
	bool ok = g_delay_ms ? pool_timer(op_timer, o, g_delay_ms) : pool_submit(op_work, o);
	if (!ok) {
		/* Complete it on a fresh thread rather than never. */
		HANDLE t = CreateThread(NULL, 0, op_thread, o, 0, NULL);
		if (t)
			CloseHandle(t);
	}
}

static bool same_queue(const struct op *a, const struct op *b)
{
	return a->c.queue == b->c.queue && a->c.proc == b->c.proc;
}

/* Whether a call before o in the control queue, for the same process on
 * the same system handle, has not completed (lock held). */
static bool blocked(const struct op *o)
{
	for (const struct op *q = o->qprev; q; q = q->qprev)
		if (same_queue(q, o))
			return true;
	return false;
}

/* Takes completed o out of the control queue and starts the call after it
 * for the same process on the same system handle (lock held). */
static void dequeue(struct op *o)
{
	struct op *next = o->qnext;
	while (next && !same_queue(next, o))
		next = next->qnext;
	if (o->qprev)
		o->qprev->qnext = o->qnext;
	else
		g_qhead = o->qnext;
	if (o->qnext)
		o->qnext->qprev = o->qprev;
	else
		g_qtail = o->qprev;
	o->qprev = o->qnext = NULL;
	o->queued = false;
	if (next && !next->held && !next->scheduled && next->state == OPS_PENDING)
		op_schedule(next);
}

HRESULT op_call(HCS_OPERATION operation, struct call *c)
{
	/* Called with the lock held and c's targets validated. */
	struct op *o = find_op(operation, c->fn);
	if (o->state != OPS_NEW)
		return MOCK_E_OPERATION_ALREADY_STARTED;
	if (o->cb && c->sink && (c->sink->opts & HcsEventOptionEnableOperationCallbacks))
		return MOCK_E_CALLBACK_ALREADY_SET; /* documented in HCS_EVENT_OPTIONS */
	HRESULT fhr;
	bool sync;
	o->forced = S_OK;
	if (fault_take(c->fn, &fhr, &sync)) {
		if (sync)
			return fhr;
		o->forced = fhr;
	}
	o->exit_during = exit_take(c->fn);
	o->held = hold_take(c->fn);
	if (c->arg && !(o->arg = utf8_dup(c->arg)))
		return E_OUTOFMEMORY;
	o->c = *c;
	o->c.arg = NULL;
	if (c->act == ACT_CREATEPROC && FAILED(g_fail_create_running)) {
		o->c.fail_running = g_fail_create_running;
		g_fail_create_running = S_OK;
	}
	if (c->sink)
		c->sink->refs++;
	if (c->queue)
		c->queue->s.refs++;
	if (c->sys)
		c->sys->refs++;
	if (c->proc)
		c->proc->refs++;
	o->state = OPS_PENDING;
	o->next = g_pending;
	if (g_pending)
		g_pending->prev = o;
	g_pending = o;
	if (c->queue) {
		o->queued = true;
		o->qprev = g_qtail;
		if (g_qtail)
			g_qtail->qnext = o;
		else
			g_qhead = o;
		g_qtail = o;
	}
	if (!o->held && !(o->queued && blocked(o)))
		op_schedule(o);
	return S_OK;
}

void ops_disconnect(void)
{
	for (struct op *o = g_pending; o; o = o->next) {
		if (o->completing)
			continue;
		o->forced = MOCK_E_SERVICE_DISCONNECT;
		o->held = false;
		o->refs++;
		if (pool_submit(op_work, o))
			o->scheduled = true;
		else
			o->refs--;
	}
}

void ops_release_held(void)
{
	for (struct op *o = g_pending; o; o = o->next) {
		if (!o->held)
			continue;
		o->held = false;
		if (!o->scheduled && !(o->queued && blocked(o)))
			op_schedule(o);
	}
}

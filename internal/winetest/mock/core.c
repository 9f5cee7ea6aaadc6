/*
 * Shared machinery: the global lock, the table of live handles, string
 * conversion, result strings with leak accounting, fault injection state,
 * the thread pool and event delivery.
 */
#include "mock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SRWLOCK g_lock = SRWLOCK_INIT;
static CONDITION_VARIABLE g_cv = CONDITION_VARIABLE_INIT;

void lock(void) { AcquireSRWLockExclusive(&g_lock); }
void unlock(void) { ReleaseSRWLockExclusive(&g_lock); }
void wake_all(void) { WakeAllConditionVariable(&g_cv); }

ULONGLONG deadline_after(DWORD ms)
{
	return ms == INFINITE ? ~0ULL : GetTickCount64() + ms;
}

bool cv_wait_on(CONDITION_VARIABLE *cv, ULONGLONG deadline)
{
	DWORD ms = INFINITE;
	if (deadline != ~0ULL) {
		ULONGLONG now = GetTickCount64();
		if (now >= deadline)
			return false;
		ms = (DWORD)(deadline - now);
	}
	SleepConditionVariableSRW(cv, &g_lock, ms, 0);
	return deadline == ~0ULL || GetTickCount64() < deadline;
}

bool cv_wait(ULONGLONG deadline) { return cv_wait_on(&g_cv, deadline); }

/* ---- handle table ------------------------------------------------------ */

/*
 * A chained hash set of live objects keyed by address. Lookups compare the
 * caller's pointer value with live entries only, so a bogus or stale handle
 * is never dereferenced.
 */
#define HTAB_SIZE 16384
static struct hobj *g_htab[HTAB_SIZE];
static UINT32 g_hcount;

static size_t hslot(const void *p)
{
	uintptr_t v = (uintptr_t)p;
	v ^= v >> 17;
	v *= (uintptr_t)0x9E3779B97F4A7C15ULL;
	return (size_t)(v >> 40) % HTAB_SIZE;
}

void htab_add(struct hobj *h)
{
	h_reused(h);
	size_t i = hslot(h);
	h->hnext = g_htab[i];
	g_htab[i] = h;
	g_hcount++;
}

void htab_del(struct hobj *h)
{
	for (struct hobj **pp = &g_htab[hslot(h)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == h) {
			*pp = h->hnext;
			h->hnext = NULL;
			g_hcount--;
			return;
		}
	}
}

struct hobj *htab_find(const void *p)
{
	if (!p)
		return NULL;
	for (struct hobj *h = g_htab[hslot(p)]; h; h = h->hnext)
		if ((const void *)h == p)
			return h;
	return NULL;
}

UINT32 htab_count(void) { return g_hcount; }

void htab_each(enum hkind kind, void (*fn)(struct hobj *h, void *arg), void *arg)
{
	for (size_t i = 0; i < HTAB_SIZE; i++)
		for (struct hobj *h = g_htab[i]; h; h = h->hnext)
			if (h->kind == kind)
				fn(h, arg);
}

struct hobj **htab_drain(size_t *n)
{
	struct hobj **all = malloc(sizeof(*all) * (g_hcount + 1));
	*n = 0;
	if (!all)
		return NULL;
	for (size_t i = 0; i < HTAB_SIZE; i++) {
		for (struct hobj *h = g_htab[i], *next; h; h = next) {
			next = h->hnext;
			h->hnext = NULL;
			all[(*n)++] = h;
		}
		g_htab[i] = NULL;
	}
	g_hcount = 0;
	return all;
}

/* ---- strings and time -------------------------------------------------- */

char *utf8_dup(PCWSTR w)
{
	if (!w)
		return NULL;
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	char *s = malloc(n > 0 ? (size_t)n : 1);
	if (!s)
		return NULL;
	if (n <= 0 || !WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL))
		s[0] = 0;
	return s;
}

WCHAR *wide_dup(const char *s)
{
	if (!s)
		return NULL;
	int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
	WCHAR *w = malloc(sizeof(WCHAR) * (n > 0 ? (size_t)n : 1));
	if (!w)
		return NULL;
	if (n <= 0 || !MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n))
		w[0] = 0;
	return w;
}

char *str_dup(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}

ULONGLONG now_100ns(void)
{
	FILETIME ft;
	GetSystemTimePreciseAsFileTime(&ft);
	return (ULONGLONG)ft.dwHighDateTime << 32 | ft.dwLowDateTime;
}

void fmt_time(char out[40], ULONGLONG t)
{
	FILETIME ft = {(DWORD)t, (DWORD)(t >> 32)};
	SYSTEMTIME st;
	FileTimeToSystemTime(&ft, &st);
	snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%07uZ", st.wYear,
		 st.wMonth, st.wDay, st.wHour, st.wMinute, st.wSecond,
		 (unsigned)(t % 10000000));
}

void new_guid(char out[40])
{
	/* Random enough for a mock: time, a counter and an LCG, version 4 bits set. */
	static LONG seq;
	ULONGLONG x = now_100ns() ^ ((ULONGLONG)InterlockedIncrement(&seq) << 40) ^
		      (ULONGLONG)GetCurrentProcessId() << 20;
	unsigned char b[16];
	for (int i = 0; i < 16; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		b[i] = (unsigned char)(x >> 56);
	}
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
	snprintf(out, 40,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
		 b[11], b[12], b[13], b[14], b[15]);
}

/* ---- result strings ---------------------------------------------------- */

/*
 * Every result string is LocalAlloc'ed with a trailer after the text (magic
 * and sequence number) and recorded here. LocalAlloc(LMEM_FIXED) comes from
 * the process heap (on Windows and on Wine), so a string the caller has
 * LocalFree'd no longer shows up as a busy entry in HeapWalk; a block that
 * was freed and reused by someone else fails the size or trailer check.
 */
#define RESULT_MAGIC 0x48435352534c5452ULL /* "RTLSRSCH" */

struct trailer {
	ULONGLONG magic;
	ULONGLONG seq;
};

struct record {
	void *p;
	SIZE_T size;
	ULONGLONG seq;
};

static struct record *g_recs;
static size_t g_nrecs, g_caprecs;
static ULONGLONG g_seq;
static UINT32 g_allocated;

PWSTR result_alloc(const char *utf8)
{
	if (!utf8)
		return NULL;
	int n = MultiByteToWideChar(CP_UTF8, 0, utf8, -1, NULL, 0);
	if (n <= 0)
		return NULL;
	SIZE_T text = sizeof(WCHAR) * (SIZE_T)n;
	SIZE_T off = (text + 7) & ~(SIZE_T)7;
	SIZE_T size = off + sizeof(struct trailer);
	PWSTR w = LocalAlloc(LMEM_FIXED, size);
	if (!w)
		return NULL;
	MultiByteToWideChar(CP_UTF8, 0, utf8, -1, w, n);
	memset((char *)w + text, 0, off - text);
	lock();
	if (g_nrecs == g_caprecs) {
		size_t cap = g_caprecs ? g_caprecs * 2 : 64;
		struct record *r = realloc(g_recs, cap * sizeof(*r));
		if (!r) {
			unlock();
			LocalFree(w);
			return NULL;
		}
		g_recs = r;
		g_caprecs = cap;
	}
	struct trailer t = {RESULT_MAGIC, ++g_seq};
	memcpy((char *)w + off, &t, sizeof(t));
	g_recs[g_nrecs++] = (struct record){w, size, t.seq};
	g_allocated++;
	unlock();
	return w;
}

HRESULT result_out(PWSTR *out, const char *utf8)
{
	if (!out)
		return S_OK;
	*out = result_alloc(utf8);
	return (utf8 && !*out) ? E_OUTOFMEMORY : S_OK;
}

void results_reset(void)
{
	free(g_recs);
	g_recs = NULL;
	g_nrecs = g_caprecs = 0;
	g_allocated = 0;
}

UINT32 results_allocated(void) { return g_allocated; }

/* Orders records by address, then by sequence number. */
static int rec_cmp(const void *a, const void *b)
{
	const struct record *x = a, *y = b;
	if (x->p != y->p)
		return (uintptr_t)x->p < (uintptr_t)y->p ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The index of the newest record at address p in sorted recs, or -1. */
static ptrdiff_t rec_newest(const struct record *recs, size_t n, const void *p)
{
	size_t lo = 0, hi = n; /* first index with address > p */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)recs[mid].p <= (uintptr_t)p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && recs[lo - 1].p == p ? (ptrdiff_t)lo - 1 : -1;
}

UINT32 results_outstanding(void)
{
	/* Copy the records, then walk the heap without holding our lock: a
	 * thread holding g_lock may be waiting for the heap lock. */
	lock();
	size_t n = g_nrecs;
	struct record *copy = malloc((n ? n : 1) * sizeof(*copy));
	bool *live = calloc(n ? n : 1, sizeof(*live));
	if (!copy || !live) {
		unlock();
		free(copy);
		free(live);
		return (UINT32)n;
	}
	memcpy(copy, g_recs, n * sizeof(*copy));
	unlock();
	qsort(copy, n, sizeof(*copy), rec_cmp);

	/* An address handed out again means the older strings there were
	 * freed: only the newest record of an address can still be live. */
	HANDLE heap = GetProcessHeap();
	PROCESS_HEAP_ENTRY e;
	e.lpData = NULL;
	HeapLock(heap);
	while (HeapWalk(heap, &e)) {
		if (!(e.wFlags & PROCESS_HEAP_ENTRY_BUSY))
			continue;
		ptrdiff_t i = rec_newest(copy, n, e.lpData);
		if (i < 0 || e.cbData != copy[i].size)
			continue;
		struct trailer t;
		memcpy(&t, (char *)copy[i].p + copy[i].size - sizeof(t), sizeof(t));
		if (t.magic == RESULT_MAGIC && t.seq == copy[i].seq)
			live[i] = true;
	}
	HeapUnlock(heap);

	/* Forget the strings found freed; keep those added meanwhile. */
	UINT32 count = 0;
	lock();
	size_t j = 0;
	for (size_t i = 0; i < g_nrecs; i++) {
		struct record *r = bsearch(&g_recs[i], copy, n, sizeof(*copy), rec_cmp);
		if (r && !live[r - copy])
			continue;
		g_recs[j++] = g_recs[i];
		count++;
	}
	g_nrecs = j;
	unlock();
	free(copy);
	free(live);
	return count;
}

/* ---- ResultError documents --------------------------------------------- */

static const struct {
	HRESULT hr;
	const char *text;
} g_messages[] = {
	{MOCK_E_TERMINATED_DURING_START, "The virtual machine or container exited unexpectedly while starting"},
	{MOCK_E_INVALID_STATE, "The requested virtual machine or container operation is not valid in the current state"},
	{MOCK_E_UNEXPECTED_EXIT, "The virtual machine or container exited unexpectedly"},
	{MOCK_E_INVALID_JSON, "The virtual machine or container JSON document is invalid"},
	{MOCK_E_SYSTEM_NOT_FOUND, "A virtual machine or container with the specified identifier does not exist"},
	{MOCK_E_SYSTEM_ALREADY_EXISTS, "A virtual machine or container with the specified identifier already exists"},
	{MOCK_E_SYSTEM_ALREADY_STOPPED, "The virtual machine or container with the specified identifier is not running"},
	{MOCK_E_SERVICE_DISCONNECT, "The host compute system service has disconnected unexpectedly"},
	{MOCK_E_PROCESS_ALREADY_STOPPED, "The process has already exited"},
	{MOCK_E_PROCESS_INFO_NOT_AVAILABLE, "The process information is not available"},
	{E_ACCESSDENIED, "Access is denied"},
	{E_INVALIDARG, "The parameter is incorrect"},
	{HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), "The system cannot find the file specified"},
	{E_OUTOFMEMORY, "Not enough memory resources are available"},
};

char *result_error(HRESULT hr, const char *fn, const char *sysid)
{
	char text[64];
	const char *msg = NULL;
	for (size_t i = 0; i < sizeof(g_messages) / sizeof(g_messages[0]); i++)
		if (g_messages[i].hr == hr)
			msg = g_messages[i].text;
	if (!msg) {
		snprintf(text, sizeof(text), "The operation failed with HRESULT 0x%08lx",
			 (unsigned long)hr);
		msg = text;
	}
	struct sb b = {0};
	sb_addf(&b, "{\"Error\":%ld,\"ErrorMessage\":", (long)hr);
	struct sb m = {0};
	sb_addf(&m, "%s for compute system '%s': %s", fn ? fn : "call",
		sysid ? sysid : "", msg);
	sb_str(&b, m.p ? m.p : msg);
	free(m.p);
	sb_add(&b, ",\"ErrorEvents\":[{\"Message\":");
	sb_str(&b, msg);
	sb_add(&b, ",\"Provider\":\"{17103E3F-3C6E-4677-BB17-3B267EB5BE57}\","
		   "\"EventId\":1,\"Source\":\"mock\"}]}");
	return sb_take(&b);
}

/* ---- fault injection state --------------------------------------------- */

bool g_disconnected;
DWORD g_delay_ms;
bool g_late_events;
volatile LONG g_inflight;
HRESULT g_fail_create_running;
UINT32 g_drop_exits;
HRESULT g_stopped_hr;
bool g_sysexit_drops;
bool g_invalid_stdio;

HRESULT stopped_hr(void)
{
	return g_stopped_hr ? g_stopped_hr : MOCK_E_PROCESS_ALREADY_STOPPED;
}

#define MAX_FAULTS 64
static struct fault {
	char fn[64];
	enum fkind kind;
	HRESULT hr;
	bool sync;
} g_faults[MAX_FAULTS];
static size_t g_nfaults;

void fault_add(const char *fn, enum fkind kind, HRESULT hr, bool sync)
{
	if (g_nfaults == MAX_FAULTS || strlen(fn) >= sizeof(g_faults[0].fn))
		return;
	struct fault *f = &g_faults[g_nfaults++];
	strcpy(f->fn, fn);
	f->kind = kind;
	f->hr = hr;
	f->sync = sync;
}

static bool take(const char *fn, enum fkind kind, struct fault *out)
{
	for (size_t i = 0; i < g_nfaults; i++) {
		if (g_faults[i].kind == kind && strcmp(g_faults[i].fn, fn) == 0) {
			*out = g_faults[i];
			memmove(&g_faults[i], &g_faults[i + 1],
				(g_nfaults - i - 1) * sizeof(g_faults[0]));
			g_nfaults--;
			return true;
		}
	}
	return false;
}

bool fault_take(const char *fn, HRESULT *hr, bool *sync)
{
	struct fault f;
	if (!take(fn, F_FAIL, &f))
		return false;
	*hr = f.hr;
	*sync = f.sync;
	return true;
}

bool exit_take(const char *fn)
{
	struct fault f;
	return take(fn, F_EXIT, &f);
}

/* g_held_calls counts the calls held so far, for MockHeldCalls. */
static volatile LONG g_held_calls;

bool hold_take(const char *fn)
{
	struct fault f;
	if (!take(fn, F_HOLD, &f))
		return false;
	InterlockedIncrement(&g_held_calls);
	return true;
}

LONG held_calls(void)
{
	return InterlockedCompareExchange(&g_held_calls, 0, 0);
}

void faults_reset(void)
{
	g_nfaults = 0;
	g_fail_create_running = S_OK;
	g_drop_exits = 0;
	g_stopped_hr = S_OK;
	g_sysexit_drops = false;
	g_invalid_stdio = false;
}

/* ---- thread pool ------------------------------------------------------- */

/*
 * A private pool with a bounded number of threads: 10,000 operations in
 * flight are 10,000 timer objects, not 10,000 threads.
 */
static INIT_ONCE g_pool_once = INIT_ONCE_STATIC_INIT;
static TP_CALLBACK_ENVIRON g_env;
static DWORD g_tls = TLS_OUT_OF_INDEXES;

static BOOL CALLBACK pool_init(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	InitializeThreadpoolEnvironment(&g_env);
	PTP_POOL pool = CreateThreadpool(NULL);
	if (pool) {
		SetThreadpoolThreadMaximum(pool, 64);
		SetThreadpoolCallbackPool(&g_env, pool);
	}
	return TRUE;
}

static PTP_CALLBACK_ENVIRON pool_env(void)
{
	InitOnceExecuteOnce(&g_pool_once, pool_init, NULL, NULL);
	return &g_env;
}

bool pool_submit(PTP_SIMPLE_CALLBACK fn, void *ctx)
{
	return TrySubmitThreadpoolCallback(fn, ctx, pool_env()) != FALSE;
}

bool pool_timer(PTP_TIMER_CALLBACK fn, void *ctx, DWORD ms)
{
	PTP_TIMER t = CreateThreadpoolTimer(fn, ctx, pool_env());
	if (!t)
		return false;
	LONGLONG due = -(LONGLONG)ms * 10000; /* relative, 100 ns units */
	FILETIME ft = {(DWORD)due, (DWORD)((ULONGLONG)due >> 32)};
	SetThreadpoolTimer(t, &ft, 0, 0);
	return true;
}

void cb_enter(void)
{
	if (g_tls != TLS_OUT_OF_INDEXES)
		TlsSetValue(g_tls, (void *)((uintptr_t)TlsGetValue(g_tls) + 1));
}

void cb_leave(void)
{
	if (g_tls != TLS_OUT_OF_INDEXES)
		TlsSetValue(g_tls, (void *)((uintptr_t)TlsGetValue(g_tls) - 1));
}

bool in_callback(void)
{
	return g_tls != TLS_OUT_OF_INDEXES && TlsGetValue(g_tls) != NULL;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved);
BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
	(void)inst;
	(void)reserved;
	if (reason == DLL_PROCESS_ATTACH) {
		g_tls = TlsAlloc();
		misuse_init();
	}
	return TRUE;
}

/* ---- events ------------------------------------------------------------ */

void sink_release(struct evsink *s)
{
	if (--s->refs > 0)
		return;
	if (s->h.kind == HK_SYS)
		sys_handle_free((struct shandle *)s);
	else
		proc_handle_free((struct phandle *)s);
}

void sink_quiesce(struct evsink *s)
{
	/* Close must not return while the handle's callback still runs, but a
	 * callback closing a handle must not wait for itself. */
	while (s->in_cb > 0 && !in_callback())
		cv_wait(~0ULL);
}

HRESULT wait_exit(struct evsink *s, const void *obj, HRESULT (*done)(const void *obj, char **doc),
		  ULONGLONG deadline, char **doc)
{
	HRESULT hr;
	s->refs++;
	for (;;) {
		if (g_disconnected || s->stale)
			hr = MOCK_E_SERVICE_DISCONNECT;
		else if (s->closed)
			hr = E_HANDLE;
		else if ((hr = done(obj, doc)) != S_FALSE)
			;
		else if (!cv_wait(deadline))
			hr = MOCK_E_OPERATION_TIMEOUT;
		else
			continue;
		break;
	}
	sink_release(s);
	return hr;
}

static void ev_append(struct evlist *l, struct event *e)
{
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
	InterlockedIncrement(&g_inflight);
}

void ev_add(struct evlist *l, struct evsink *s, HCS_EVENT_TYPE type,
	    const char *data, HCS_OPERATION op)
{
	if (!s || s->closed || !s->cb)
		return;
	struct event *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->sink = s;
	s->refs++;
	e->cb = s->cb;
	e->ctx = s->ctx;
	e->type = type;
	e->data = wide_dup(data);
	e->op = op;
	ev_append(l, e);
}

void ev_add_late(struct evlist *l, HCS_EVENT_CALLBACK cb, void *ctx,
		 HCS_EVENT_TYPE type, const char *data)
{
	struct event *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->cb = cb;
	e->ctx = ctx;
	e->type = type;
	e->data = wide_dup(data);
	ev_append(l, e);
}

void ev_deliver(struct evlist *l)
{
	struct event *e = l->head;
	l->head = l->tail = NULL;
	while (e) {
		struct event *next = e->next;
		bool call = true;
		if (e->sink) {
			lock();
			call = !e->sink->closed;
			if (call)
				e->sink->in_cb++;
			unlock();
		}
		if (call) {
			HCS_EVENT ev = {e->type, e->data, e->op};
			cb_enter();
			e->cb(&ev, e->ctx);
			cb_leave();
		}
		if (e->sink) {
			lock();
			if (call && --e->sink->in_cb == 0)
				wake_all();
			sink_release(e->sink);
			unlock();
		}
		free(e->data);
		free(e);
		InterlockedDecrement(&g_inflight);
		e = next;
	}
}

static void CALLBACK ev_work(PTP_CALLBACK_INSTANCE inst, PVOID ctx)
{
	(void)inst;
	struct evlist l = {ctx, NULL};
	ev_deliver(&l);
}

static void CALLBACK ev_timer(PTP_CALLBACK_INSTANCE inst, PVOID ctx, PTP_TIMER t)
{
	ev_work(inst, ctx);
	CloseThreadpoolTimer(t);
}

void ev_post(struct evlist *l, DWORD delay_ms)
{
	if (!l->head)
		return;
	bool ok = delay_ms ? pool_timer(ev_timer, l->head, delay_ms)
			   : pool_submit(ev_work, l->head);
	if (!ok)
		ev_deliver(l); /* out of resources: deliver here rather than leak */
	l->head = l->tail = NULL;
}

/*
 * The state both mock layer DLLs share: the lock, call counters, injected
 * faults, the message of the last failure, result strings and their
 * accounting, the layer store, and the compute systems bound to layers.
 */
#include "layermock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SRWLOCK g_lock = SRWLOCK_INIT;
/* Held calls (MockLayersHoldNext) wait on g_release for g_releases to move. */
static CONDITION_VARIABLE g_release = CONDITION_VARIABLE_INIT;
static ULONGLONG g_releases;

void store_lock(void) { AcquireSRWLockExclusive(&g_lock); }
void store_unlock(void) { ReleaseSRWLockExclusive(&g_lock); }

/* ---- the mock computecore.dll ------------------------------------------ */

/* What this DLL asks the mock computecore.dll, found at run time (absent
 * when computecore.dll is not the mock). Never called with store_lock
 * held: computecore.dll calls MockLayersCheckCreate holding its own lock. */
typedef BOOL(WINAPI *system_active_fn)(const char *id);
typedef BOOL(WINAPI *service_disconnected_fn)(void);

static system_active_fn g_system_active;
static service_disconnected_fn g_service_disconnected;
static INIT_ONCE g_computecore_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK find_exports(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	HMODULE m = LoadLibraryExW(L"computecore.dll", NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);
	if (m) {
		g_system_active = (system_active_fn)(void (*)(void))GetProcAddress(m, "MockSystemActive");
		g_service_disconnected =
			(service_disconnected_fn)(void (*)(void))GetProcAddress(m, "MockServiceDisconnected");
	}
	return TRUE;
}

static void find_computecore(void) { InitOnceExecuteOnce(&g_computecore_once, find_exports, NULL, NULL); }

/* Whether the compute service is disconnected (MockDisconnect of the mock
 * computecore.dll): every layer call fails then. Without the lock. */
static bool service_gone(void)
{
	find_computecore();
	return g_service_disconnected && g_service_disconnected();
}

/* ---- calls and faults -------------------------------------------------- */

#define MAX_NAMES 64
#define NAME_LEN 48

/* Per entry point: calls made, calls running now and at most, and the
 * faults and delays queued for the next calls. */
static struct entry {
	char fn[NAME_LEN];
	UINT32 calls;
	UINT32 running, peak;
	struct fault {
		HRESULT hr;
		UINT32 left;
	} faults[16];
	size_t nfaults;
	DWORD delays[16];
	size_t ndelays;
} g_entries[MAX_NAMES];
static size_t g_nentries;

bool g_elevation_missing;
static char g_last[512];

static struct entry *entry_of(const char *fn, bool create)
{
	for (size_t i = 0; i < g_nentries; i++)
		if (strcmp(g_entries[i].fn, fn) == 0)
			return &g_entries[i];
	if (!create || g_nentries == MAX_NAMES || strlen(fn) >= NAME_LEN)
		return NULL;
	struct entry *e = &g_entries[g_nentries++];
	memset(e, 0, sizeof(*e));
	strcpy(e->fn, fn);
	return e;
}

HRESULT call_enter(const char *fn)
{
	bool gone = service_gone();
	DWORD delay = 0;
	store_lock();
	struct entry *e = entry_of(fn, true);
	if (e) {
		e->calls++;
		if (++e->running > e->peak)
			e->peak = e->running;
	}
	/* The order of checks: service, elevation (call_begin), then an
	 * injected delay or failure; a call refused first uses neither. */
	HRESULT hr = gone ? fail(HR_SERVICE_DISCONNECT, "%s: the compute service is disconnected (MockDisconnect)", fn)
			  : S_OK;
	if (SUCCEEDED(hr) && !g_elevation_missing && e && e->ndelays) {
		delay = e->delays[0];
		memmove(&e->delays[0], &e->delays[1], --e->ndelays * sizeof(e->delays[0]));
	}
	if (delay == INFINITE) { /* held until released */
		for (ULONGLONG gen = g_releases; gen == g_releases;)
			SleepConditionVariableSRW(&g_release, &g_lock, INFINITE, 0);
	}
	store_unlock();
	if (delay && delay != INFINITE)
		Sleep(delay);
	if (delay && service_gone()) { /* gone while the call waited */
		store_lock();
		hr = fail(HR_SERVICE_DISCONNECT, "%s: the compute service is disconnected (MockDisconnect)", fn);
		store_unlock();
	}
	return hr;
}

void calls_release(void)
{
	g_releases++;
	WakeAllConditionVariable(&g_release);
}

void call_leave(const char *fn)
{
	store_lock();
	struct entry *e = entry_of(fn, false);
	if (e && e->running)
		e->running--;
	store_unlock();
}

HRESULT call_begin(const char *fn)
{
	g_last[0] = 0;
	struct entry *e = entry_of(fn, false);
	if (g_elevation_missing)
		return fail(HR_PRIVILEGE_NOT_HELD, "%s: the caller is not elevated (mock)", fn);
	if (e && e->nfaults) {
		struct fault *f = &e->faults[0];
		HRESULT hr = f->hr;
		if (--f->left == 0)
			memmove(&e->faults[0], &e->faults[1], --e->nfaults * sizeof(e->faults[0]));
		return fail(hr, "%s: injected failure 0x%08lx", fn, (unsigned long)hr);
	}
	return S_OK;
}

HRESULT on_path(const char *fn, PCWSTR path, HRESULT (*op)(PCWSTR path))
{
	WCHAR *full = NULL;
	store_lock();
	HRESULT hr = call_begin(fn);
	if (SUCCEEDED(hr))
		hr = norm_path(path, &full);
	if (SUCCEEDED(hr))
		hr = op(full);
	store_unlock();
	free(full);
	return hr;
}

bool fault_add(const char *fn, HRESULT hr, UINT32 n)
{
	struct entry *e = entry_of(fn, true);
	if (!e || !n || e->nfaults == sizeof(e->faults) / sizeof(e->faults[0]))
		return false;
	e->faults[e->nfaults++] = (struct fault){hr, n};
	return true;
}

bool delay_add(const char *fn, DWORD ms)
{
	struct entry *e = entry_of(fn, true);
	if (!e || e->ndelays == sizeof(e->delays) / sizeof(e->delays[0]))
		return false;
	e->delays[e->ndelays++] = ms;
	return true;
}

UINT32 calls_of(const char *fn)
{
	struct entry *e = entry_of(fn, false);
	return e ? e->calls : 0;
}

UINT32 peak_of(const char *fn)
{
	struct entry *e = entry_of(fn, false);
	return e ? e->peak : 0;
}

void calls_reset(void)
{
	calls_release();
	/* Calls still running keep their count, so that they end at 0. */
	size_t j = 0;
	for (size_t i = 0; i < g_nentries; i++) {
		if (!g_entries[i].running)
			continue;
		struct entry e = g_entries[i];
		memset(&g_entries[j], 0, sizeof(g_entries[j]));
		strcpy(g_entries[j].fn, e.fn);
		g_entries[j++].running = e.running;
	}
	g_nentries = j;
	g_elevation_missing = false;
	g_last[0] = 0;
}

HRESULT fail(HRESULT hr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g_last, sizeof(g_last), fmt, ap);
	va_end(ap);
	return hr;
}

const char *last_failure(void) { return g_last; }

/* ---- result strings ---------------------------------------------------- */

/*
 * Each result string is LocalAlloc'ed with a trailer (magic, sequence
 * number) after its text and recorded. A string counts as outstanding while
 * HeapValidate still finds its block allocated in the process heap (where
 * LocalAlloc(LMEM_FIXED) takes memory, on Windows and on Wine) with the
 * recorded size and an intact trailer; a block that was freed and handed
 * out again fails the size or the trailer check.
 */
#define STRING_MAGIC 0x4c59524d53545231ULL

struct trailer {
	ULONGLONG magic;
	ULONGLONG seq;
};

static struct handed {
	void *p;
	SIZE_T size;
	ULONGLONG seq;
} *g_handed;
static size_t g_nhanded, g_caphanded;
static ULONGLONG g_seq;

PWSTR result_string(const WCHAR *s)
{
	SIZE_T text = (wcslen(s) + 1) * sizeof(WCHAR);
	SIZE_T off = (text + 7) & ~(SIZE_T)7;
	SIZE_T size = off + sizeof(struct trailer);
	if (g_nhanded == g_caphanded) {
		size_t cap = g_caphanded ? g_caphanded * 2 : 16;
		struct handed *h = realloc(g_handed, cap * sizeof(*h));
		if (!h)
			return NULL;
		g_handed = h;
		g_caphanded = cap;
	}
	PWSTR w = LocalAlloc(LMEM_FIXED, size);
	if (!w)
		return NULL;
	memcpy(w, s, text);
	memset((char *)w + text, 0, off - text);
	struct trailer t = {STRING_MAGIC, ++g_seq};
	memcpy((char *)w + off, &t, sizeof(t));
	g_handed[g_nhanded++] = (struct handed){w, size, t.seq};
	return w;
}

static bool still_allocated(const struct handed *h)
{
	HANDLE heap = GetProcessHeap();
	if (!HeapValidate(heap, 0, h->p) || HeapSize(heap, 0, h->p) != h->size)
		return false;
	struct trailer t;
	memcpy(&t, (char *)h->p + h->size - sizeof(t), sizeof(t));
	return t.magic == STRING_MAGIC && t.seq == h->seq;
}

UINT32 result_strings_outstanding(void)
{
	/* Forget the strings found freed; an address handed out twice keeps
	 * only its newest record, the older one being freed. */
	size_t j = 0;
	for (size_t i = 0; i < g_nhanded; i++) {
		bool newer = false;
		for (size_t k = i + 1; k < g_nhanded && !newer; k++)
			newer = g_handed[k].p == g_handed[i].p;
		if (!newer && still_allocated(&g_handed[i]))
			g_handed[j++] = g_handed[i];
	}
	g_nhanded = j;
	return (UINT32)j;
}

void result_strings_reset(void) { g_nhanded = 0; }

/* ---- the layer store --------------------------------------------------- */

static struct layer *g_layers;

struct layer *layer_find(PCWSTR path)
{
	for (struct layer *l = g_layers; l; l = l->next)
		if (wcs_same(l->path, path))
			return l;
	return NULL;
}

struct layer *layer_get(PCWSTR path)
{
	struct layer *l = layer_find(path);
	if (l)
		return l;
	if (!(l = calloc(1, sizeof(*l))) || !(l->path = wcs_dup(path))) {
		free(l);
		return NULL;
	}
	l->next = g_layers;
	g_layers = l;
	return l;
}

void layer_forget(struct layer *l)
{
	for (struct layer **pp = &g_layers; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			plist_free(&l->parents);
			free(l->path);
			free(l);
			return;
		}
	}
}

PCWSTR layer_volume(const struct layer *l) { return l->filter ? l->path : l->volume; }

bool same_path(PCWSTR a, PCWSTR b)
{
	size_t na = wcslen(a), nb = wcslen(b);
	if (na && a[na - 1] == L'\\')
		na--;
	if (nb && b[nb - 1] == L'\\')
		nb--;
	return na == nb && na < INT_MAX && CompareStringOrdinal(a, (int)na, b, (int)nb, TRUE) == CSTR_EQUAL;
}

struct layer *layer_by_volume(PCWSTR path)
{
	for (struct layer *l = g_layers; l; l = l->next)
		if (l->prepared && same_path(layer_volume(l), path))
			return l;
	return NULL;
}

struct layer *layer_next(const struct layer *l) { return l ? l->next : g_layers; }

/* ---- compute systems bound to layers ----------------------------------- */

static struct binding {
	struct binding *next;
	char *system;
	WCHAR *layer;
} *g_bindings;
static ULONGLONG g_bind_gen;

static void binding_free(struct binding *b)
{
	free(b->system);
	free(b->layer);
	free(b);
}

HRESULT bind_system(const char *system_id, PCWSTR layer)
{
	/* A create that got this far means no other registered system has
	 * this id: any binding under it belongs to a system that is gone. */
	for (struct binding **pp = &g_bindings; *pp;) {
		if (strcmp((*pp)->system, system_id) == 0) {
			struct binding *b = *pp;
			*pp = b->next;
			binding_free(b);
			g_bind_gen++;
		} else {
			pp = &(*pp)->next;
		}
	}
	if (!layer)
		return S_OK;
	struct binding *b = calloc(1, sizeof(*b));
	size_t n = strlen(system_id) + 1;
	if (!b || !(b->system = malloc(n)) || !(b->layer = wcs_dup(layer))) {
		if (b)
			binding_free(b);
		return E_OUTOFMEMORY;
	}
	memcpy(b->system, system_id, n);
	b->next = g_bindings;
	g_bindings = b;
	g_bind_gen++;
	return S_OK;
}


/* Whether a compute system bound to path is not Stopped. Without the lock:
 * the mock computecore.dll takes its own. */
static bool in_use(PCWSTR path, ULONGLONG *gen)
{
	store_lock();
	*gen = g_bind_gen;
	size_t n = 0;
	for (struct binding *b = g_bindings; b; b = b->next)
		n += wcs_same(b->layer, path);
	char **ids = calloc(n ? n : 1, sizeof(*ids));
	size_t k = 0;
	for (struct binding *b = g_bindings; b && ids; b = b->next) {
		if (!wcs_same(b->layer, path))
			continue;
		size_t len = strlen(b->system) + 1;
		if ((ids[k] = malloc(len)))
			memcpy(ids[k++], b->system, len);
	}
	store_unlock();
	find_computecore();
	/* Out of memory or no computecore mock: busy, the safe answer. */
	bool busy = !ids || k != n || (n && !g_system_active);
	for (size_t i = 0; i < k; i++) {
		busy = busy || g_system_active(ids[i]);
		free(ids[i]);
	}
	free(ids);
	return busy;
}

HRESULT with_use(PCWSTR path, HRESULT (*fn)(PCWSTR path, bool busy, void *arg), void *arg)
{
	for (;;) {
		ULONGLONG gen;
		bool busy = in_use(path, &gen);
		store_lock();
		if (gen != g_bind_gen) { /* a system was bound meanwhile: ask again */
			store_unlock();
			continue;
		}
		HRESULT hr = fn(path, busy, arg);
		store_unlock();
		return hr;
	}
}

void layers_reset(void)
{
	while (g_layers)
		layer_forget(g_layers);
	while (g_bindings) {
		struct binding *b = g_bindings;
		g_bindings = b->next;
		binding_free(b);
	}
	g_bind_gen++;
}

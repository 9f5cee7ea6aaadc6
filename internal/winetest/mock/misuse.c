/*
 * Calls on closed or bogus handles.
 *
 * Real computecore.dll dereferences the handles it is given: hcsshim records
 * EXCEPTION_ACCESS_VIOLATION inside computecore.dll when handles are torn
 * down under a call (internal/computecore/computecore.go, execute). Answering
 * E_HANDLE, as the mock once did, would let a use after close pass every
 * test and crash on Windows. So each such call is fatal here, with a
 * diagnostic naming the call, the handle, and when and by what it was
 * closed.
 *
 * To tell a stale handle from a new one, closed handles are remembered (the
 * newest GRAVES of them) until their value is handed out again, and a
 * handle's memory is freed only after QUARANTINE later frees, so a value is
 * not handed out again at once. Values are still reused, as on Windows.
 *
 * Reporting: if a test registered a hook (MockSetFatalHook; package mockctl
 * registers one that panics with the diagnostic, so the Go stack of the
 * offending call is printed), it is called on the calling thread, with the
 * lock released, and never returns. Without a hook, or if it returns, the
 * diagnostic goes to stderr and the debugger, and the process ends with
 * STATUS_INVALID_HANDLE.
 */
#include "mock.h"
#include "mockctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRAVES 65536
#define GRAVE_SLOTS 16384
#define QUARANTINE 1024

struct grave {
	struct grave *next; /* hash chain */
	const void *p;      /* NULL when the slot is free */
	enum hkind kind;
	const char *fn;     /* the closing call (a static string) */
	ULONGLONG when_us;  /* since the DLL was loaded */
	DWORD thread;
	UINT64 seq;
	char label[64];
};

static struct grave g_graves[GRAVES];
static struct grave *g_gslot[GRAVE_SLOTS];
static size_t g_gnext; /* the oldest record, overwritten next */
static void *g_quarantine[QUARANTINE];
static size_t g_qnext;
static UINT64 g_seq;   /* handle uses and closes, in order */
static char g_label[64];
static MockFatalHook g_hook;
static LARGE_INTEGER g_freq, g_t0;

void misuse_init(void)
{
	QueryPerformanceFrequency(&g_freq);
	QueryPerformanceCounter(&g_t0);
}

static ULONGLONG now_us(void)
{
	LARGE_INTEGER t;
	QueryPerformanceCounter(&t);
	return (ULONGLONG)(t.QuadPart - g_t0.QuadPart) * 1000000ULL / (ULONGLONG)g_freq.QuadPart;
}

static size_t gslot(const void *p)
{
	uintptr_t v = (uintptr_t)p;
	v ^= v >> 17;
	v *= (uintptr_t)0x9E3779B97F4A7C15ULL;
	return (size_t)(v >> 40) % GRAVE_SLOTS;
}

static void grave_unlink(struct grave *g)
{
	for (struct grave **pp = &g_gslot[gslot(g->p)]; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	g->p = NULL;
	g->next = NULL;
}

static struct grave *grave_find(const void *p)
{
	for (struct grave *g = g_gslot[gslot(p)]; g; g = g->next)
		if (g->p == p)
			return g;
	return NULL;
}

void h_closed(const struct hobj *h, const char *fn)
{
	struct grave *g = grave_find(h);
	if (g)
		grave_unlink(g); /* cannot happen: a live value has no record */
	g = &g_graves[g_gnext];
	g_gnext = (g_gnext + 1) % GRAVES;
	if (g->p)
		grave_unlink(g);
	g->p = h;
	g->kind = h->kind;
	g->fn = fn;
	g->when_us = now_us();
	g->thread = GetCurrentThreadId();
	g->seq = ++g_seq;
	memcpy(g->label, g_label, sizeof(g->label));
	size_t i = gslot(h);
	g->next = g_gslot[i];
	g_gslot[i] = g;
}

void h_reused(const void *p)
{
	struct grave *g = grave_find(p);
	if (g)
		grave_unlink(g);
}

void h_free(void *p)
{
	void *old = g_quarantine[g_qnext];
	g_quarantine[g_qnext] = p;
	g_qnext = (g_qnext + 1) % QUARANTINE;
	free(old);
}

void misuse_set_label(const char *label)
{
	snprintf(g_label, sizeof(g_label), "%s", label ? label : "");
}

static const char *kind_name(enum hkind k)
{
	switch (k) {
	case HK_OP: return "HCS_OPERATION";
	case HK_SYS: return "HCS_SYSTEM";
	case HK_PROC: return "HCS_PROCESS";
	}
	return "handle";
}

struct text {
	char buf[1024];
	size_t len;
};

__attribute__((format(__MINGW_PRINTF_FORMAT, 2, 3)))
static void add(struct text *t, const char *fmt, ...)
{
	if (t->len >= sizeof(t->buf) - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
	if (t->len > sizeof(t->buf) - 1)
		t->len = sizeof(t->buf) - 1;
}

static const char *in_test(const char *label)
{
	return label[0] ? label : "(no test label)";
}

/* Builds the diagnostic for a bad use of p (lock held). */
static void describe(struct text *t, const void *p, enum hkind kind, const char *fn,
		     const struct hobj *live)
{
	ULONGLONG now = now_us();
	UINT64 seq = ++g_seq;
	unsigned long long v = (uintptr_t)p;
	add(t, "hcsmock: FATAL: %s called with ", fn);
	if (!p) {
		add(t, "a NULL %s", kind_name(kind));
	} else if (live) {
		add(t, "%s 0x%llX, which is an open %s", kind_name(kind), v, kind_name(live->kind));
	} else {
		const struct grave *g = grave_find(p);
		if (!g) {
			add(t, "%s 0x%llX, which this DLL never handed out (or closed more than %u "
			       "handles ago)", kind_name(kind), v, GRAVES);
		} else {
			add(t, "%s 0x%llX, which is closed: %s closed it%s%s, %llu.%06llu s after load, "
			       "%llu.%06llu s before this call, on thread %lu, in %s (handle use #%llu)",
			    kind_name(kind), v, g->fn,
			    g->kind == kind ? "" : " as ", g->kind == kind ? "" : kind_name(g->kind),
			    g->when_us / 1000000, g->when_us % 1000000,
			    (now - g->when_us) / 1000000, (now - g->when_us) % 1000000,
			    (unsigned long)g->thread, in_test(g->label), (unsigned long long)g->seq);
		}
	}
	add(t, "; this call on thread %lu, %llu.%06llu s after load, in %s (handle use #%llu). "
	       "Real computecore.dll dereferences its handles: this crashes or corrupts it.",
	    (unsigned long)GetCurrentThreadId(), now / 1000000, now % 1000000, in_test(g_label),
	    (unsigned long long)seq);
}

/* Reports t and never returns. Called with the lock held; releases it. */
__attribute__((noreturn))
static void fatal(const struct text *t)
{
	MockFatalHook hook = g_hook;
	unlock();
	WCHAR wide[1024];
	if (!MultiByteToWideChar(CP_UTF8, 0, t->buf, -1, wide, 1024))
		wide[0] = 0;
	if (hook)
		hook(wide); /* panics into the Go caller's goroutine */
	HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
	DWORD n;
	if (err && err != INVALID_HANDLE_VALUE) {
		WriteFile(err, t->buf, (DWORD)t->len, &n, NULL);
		WriteFile(err, "\n", 1, &n, NULL);
	}
	OutputDebugStringA(t->buf);
	TerminateProcess(GetCurrentProcess(), (UINT)STATUS_INVALID_HANDLE);
	for (;;)
		Sleep(INFINITE);
}

struct hobj *h_use(const void *p, enum hkind kind, const char *fn)
{
	struct hobj *h = htab_find(p);
	if (h && h->kind == kind) {
		g_seq++;
		return h;
	}
	struct text t = {0};
	describe(&t, p, kind, fn, h);
	fatal(&t);
}

void WINAPI MockSetFatalHook(MockFatalHook hook)
{
	lock();
	g_hook = hook;
	unlock();
}

void WINAPI MockSetLabel(PCWSTR label)
{
	char *s = utf8_dup(label);
	lock();
	misuse_set_label(s);
	unlock();
	free(s);
}

/*
 * The test-only exports of the mock vmcompute.dll (layermockctl.h): reset,
 * fault injection, counters and a view of one layer's state. The hcs
 * library never calls them; tests do, through internal/winetest/mockctl.
 */
#include "layermock.h"
#include "layermockctl.h"

#include <stdlib.h>
#include <string.h>

void WINAPI MockLayersReset(void)
{
	store_lock();
	layers_reset();
	vhds_reset();
	calls_reset();
	result_strings_reset();
	store_unlock();
}

BOOL WINAPI MockLayersFailNext(PCWSTR function, HRESULT hr, UINT32 count)
{
	char *fn = to_utf8(function);
	store_lock();
	BOOL ok = fn && fault_add(fn, hr, count);
	store_unlock();
	free(fn);
	return ok;
}

BOOL WINAPI MockLayersDelayNext(PCWSTR function, DWORD ms)
{
	char *fn = to_utf8(function);
	store_lock();
	BOOL ok = fn && delay_add(fn, ms);
	store_unlock();
	free(fn);
	return ok;
}

void WINAPI MockLayersRelease(void)
{
	store_lock();
	calls_release();
	store_unlock();
}

void WINAPI MockLayersSetElevated(BOOL elevated)
{
	store_lock();
	g_elevation_missing = !elevated;
	store_unlock();
}

/* Reads a counter of function under the lock. */
static UINT32 counter(PCWSTR function, UINT32 (*of)(const char *fn))
{
	char *fn = to_utf8(function);
	store_lock();
	UINT32 n = fn ? of(fn) : 0;
	store_unlock();
	free(fn);
	return n;
}

UINT32 WINAPI MockLayersCalls(PCWSTR function) { return counter(function, calls_of); }
UINT32 WINAPI MockLayersPeak(PCWSTR function) { return counter(function, peak_of); }

static UINT32 count_layers(bool prepared)
{
	UINT32 n = 0;
	for (const struct layer *l = NULL; (l = layer_next(l));)
		n += prepared ? l->prepared : l->activations > 0;
	return n;
}

UINT32 WINAPI MockLayersActivated(void)
{
	store_lock();
	UINT32 n = count_layers(false);
	store_unlock();
	return n;
}

UINT32 WINAPI MockLayersPrepared(void)
{
	store_lock();
	UINT32 n = count_layers(true);
	store_unlock();
	return n;
}

UINT32 WINAPI MockLayersOutstandingStrings(void)
{
	store_lock();
	UINT32 n = result_strings_outstanding();
	store_unlock();
	return n;
}

UINT32 WINAPI MockLayersLiveVhds(void)
{
	store_lock();
	UINT32 n = vhds_live();
	store_unlock();
	return n;
}

/* Copies text into buf (NUL-terminated, truncated) and returns its size. */
static UINT32 give(const char *text, char *buf, UINT32 cap)
{
	size_t n = strlen(text) + 1;
	if (buf && cap) {
		size_t m = n < cap ? n : cap;
		memcpy(buf, text, m - 1);
		buf[m - 1] = 0;
	}
	return (UINT32)n;
}

UINT32 WINAPI MockLayersLastError(char *buf, UINT32 cap)
{
	store_lock();
	UINT32 n = give(last_failure(), buf, cap);
	store_unlock();
	return n;
}

static void add_path(struct sb *b, PCWSTR w)
{
	char *u = to_utf8(w);
	if (!u)
		b->oom = true;
	sb_str(b, u);
	free(u);
}

UINT32 WINAPI MockLayersState(PCWSTR path, char *buf, UINT32 cap)
{
	WCHAR *full = NULL;
	struct sb b = {0};
	store_lock();
	if (FAILED(norm_path(path, &full))) {
		sb_add(&b, "null");
	} else {
		const struct layer *l = layer_find(full);
		const char *state = !l || !l->activations ? "Inactive" : l->prepared ? "Prepared" : "Activated";
		sb_add(&b, "{\"Path\":");
		add_path(&b, full);
		sb_addf(&b, ",\"State\":\"%s\",\"Activations\":%u,\"Filter\":%s,\"Writable\":%s,\"Size\":%llu",
			state, l ? l->activations : 0, l && l->filter ? "true" : "false",
			l && l->writable ? "true" : "false",
			is_scratch(full) ? (unsigned long long)sandbox_size(full) : 0ULL);
		sb_add(&b, ",\"Volume\":");
		add_path(&b, l && l->prepared ? layer_volume(l) : L"");
		sb_add(&b, ",\"Parents\":[");
		for (UINT32 i = 0; l && i < l->parents.n; i++) {
			char id[37];
			guid_format(&l->parents.v[i].id, id);
			sb_addf(&b, "%s{\"Id\":\"%s\",\"Flags\":%lu,\"Path\":", i ? "," : "", id,
				(unsigned long)l->parents.v[i].flags);
			add_path(&b, l->parents.v[i].path);
			sb_add(&b, "}");
		}
		sb_add(&b, "]}");
	}
	store_unlock();
	free(full);
	char *json = sb_take(&b);
	UINT32 n = give(json ? json : "null", buf, cap);
	free(json);
	return n;
}

/*
 * Internal declarations of the mock vmcompute.dll: the layer store that
 * both mock layer DLLs share (computestorage.dll forwards to it), file
 * system helpers, parent lists, faults and result strings.
 *
 * One SRW lock (store_lock) guards every mutable object. Lock order: the
 * mock computecore.dll calls MockLayersCheckCreate while holding its own
 * lock, so this DLL never calls into computecore.dll while holding
 * store_lock (see in_use in state.c).
 */
#ifndef HCSMOCK_LAYERMOCK_H
#define HCSMOCK_LAYERMOCK_H

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

/* The JSON parser and text builder of the computecore mock, linked into
 * this DLL too (internal/winetest/mock/json.c). */
#include "json.h"
#include "vmcompute.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HR_WIN32(e) ((HRESULT)(0x80070000L | (e)))
#define HR_PATH_NOT_FOUND HR_WIN32(ERROR_PATH_NOT_FOUND)         /* 0x80070003 */
#define HR_FILE_NOT_FOUND HR_WIN32(ERROR_FILE_NOT_FOUND)         /* 0x80070002 */
#define HR_INVALID_DATA HR_WIN32(ERROR_INVALID_DATA)             /* 0x8007000D */
#define HR_NOT_READY HR_WIN32(ERROR_NOT_READY)                   /* 0x80070015 */
#define HR_SHARING_VIOLATION HR_WIN32(ERROR_SHARING_VIOLATION)   /* 0x80070020 */
#define HR_FILE_EXISTS HR_WIN32(ERROR_FILE_EXISTS)               /* 0x80070050 */
#define HR_INSUFFICIENT_BUFFER HR_WIN32(ERROR_INSUFFICIENT_BUFFER) /* 0x8007007A */
#define HR_DIR_NOT_EMPTY HR_WIN32(ERROR_DIR_NOT_EMPTY)           /* 0x80070091 */
#define HR_BUSY HR_WIN32(ERROR_BUSY)                             /* 0x800700AA */
#define HR_ALREADY_EXISTS HR_WIN32(ERROR_ALREADY_EXISTS)         /* 0x800700B7 */
#define HR_UNRECOGNIZED_VOLUME HR_WIN32(ERROR_UNRECOGNIZED_VOLUME) /* 0x800703ED */
#define HR_INVALID_JSON ((HRESULT)0x8037010DL)                  /* HCS_E_INVALID_JSON */
#define HR_SERVICE_DISCONNECT ((HRESULT)0x8037011EL)            /* HCS_E_SERVICE_DISCONNECT */
#define HR_PRIVILEGE_NOT_HELD HR_WIN32(ERROR_PRIVILEGE_NOT_HELD) /* 0x80070522 */
#define HR_NOT_A_REPARSE_POINT HR_WIN32(ERROR_NOT_A_REPARSE_POINT) /* 0x80071126 */

/* Whether a member of a JSON document (json_get) is absent, null or a
 * string: a member of another type breaks the schema (HCS_E_INVALID_JSON). */
static inline bool json_opt_str(const struct jval *v) { return !v || v->t == J_NULL || v->t == J_STR; }

/* ---- state.c: lock, calls, faults, messages, result strings ----------- */

void store_lock(void);
void store_unlock(void);

/*
 * Every export runs between call_enter and call_leave (the EXPORT macro),
 * without the lock: call_enter counts the call and marks it running; it
 * fails it with HCS_E_SERVICE_DISCONNECT while the mock computecore.dll's
 * service is disconnected; else, unless elevation is missing, it waits out
 * an injected delay, so that delayed calls overlap as slow ones would. The
 * body runs only when call_enter succeeds.
 */
HRESULT call_enter(const char *fn);
void call_leave(const char *fn);

/* Defines export name, fn for faults and counters, around its body do_name. */
#define EXPORT(fn, name, params, args)          \
	static HRESULT do_##name params;        \
	HRESULT WINAPI name params              \
	{                                       \
		HRESULT hr_ = call_enter(fn);   \
		if (SUCCEEDED(hr_))             \
			hr_ = do_##name args;   \
		call_leave(fn);                 \
		return hr_;                     \
	}                                       \
	static HRESULT do_##name params

/*
 * Starts the work of entry point fn (lock held): fails it with
 * ERROR_PRIVILEGE_NOT_HELD while elevation is missing, or with the next
 * injected fault for fn.
 */
HRESULT call_begin(const char *fn);
/* The body of the calls that take one path: call_begin, then op on the
 * normalized path, under the lock. */
HRESULT on_path(const char *fn, PCWSTR path, HRESULT (*op)(PCWSTR path));

/* Queues a fault: the next n calls of fn fail with hr (lock held). */
bool fault_add(const char *fn, HRESULT hr, UINT32 n);
/* Queues a delay: the next call of fn waits ms first, or with INFINITE
 * until calls_release (lock held). */
bool delay_add(const char *fn, DWORD ms);
void calls_release(void);
UINT32 calls_of(const char *fn);
/* The most calls of fn that ran at the same time. */
UINT32 peak_of(const char *fn);
/* Forgets calls, faults, delays, the elevation switch and the last failure;
 * releases held calls. */
void calls_reset(void);
extern bool g_elevation_missing;

/* Records why the current call fails (lock held) and returns hr. */
HRESULT fail(HRESULT hr, const char *fmt, ...) __attribute__((format(__MINGW_PRINTF_FORMAT, 2, 3)));
/* The message of the last failure, for MockLayersLastError (lock held). */
const char *last_failure(void);

/* A LocalAlloc'ed copy of s for the caller, counted until LocalFree'd. */
PWSTR result_string(const WCHAR *s);
UINT32 result_strings_outstanding(void);
void result_strings_reset(void);

/* ---- strings.c: conversions ------------------------------------------- */

char *to_utf8(PCWSTR w);          /* malloc'd; NULL for NULL or OOM */
WCHAR *to_wide(const char *s);    /* malloc'd; NULL for NULL or OOM */
WCHAR *wcs_dup(PCWSTR w);         /* malloc'd; NULL for NULL or OOM */
bool wcs_same(PCWSTR a, PCWSTR b); /* ordinal, case-insensitive */

/* ---- guid.c ------------------------------------------------------------ */

/* NameToGuid of the fakes: RFC 4122 version 5 over the UTF-16LE name. */
HRESULT guid_of_name(PCWSTR name, size_t len, GUID *out);
void guid_format(const GUID *g, char out[37]);  /* lowercase, no braces */
bool guid_parse(const char *s, GUID *out);       /* exactly 8-4-4-4-12 hex */
HRESULT guid_random(GUID *out);
/* A fresh volume path \\?\Volume{guid}\ into out. */
HRESULT volume_new(WCHAR out[64]);

/* ---- paths.c: layer folders on disk ------------------------------------ */

/*
 * The full path of a layer named by DriverInfo and id (malloc'd in *out):
 * id itself when HomeDir is empty, HomeDir\id otherwise. E_INVALIDARG for
 * a NULL info, HomeDir or id, an empty id, a Flavour other than 1, or a
 * path that is relative or a drive root.
 */
HRESULT layer_path(const VMC_DRIVER_INFO *info, PCWSTR id, WCHAR **out);
/* An absolute path normalized (full, no trailing separator), or an error. */
HRESULT norm_path(PCWSTR path, WCHAR **out);
WCHAR *path_join(PCWSTR dir, PCWSTR name); /* malloc'd dir\name */
PCWSTR base_name(PCWSTR path);             /* the last component */
bool is_dir(PCWSTR path);
bool is_file(PCWSTR path);
bool has_dir(PCWSTR dir, PCWSTR name);
bool has_file(PCWSTR dir, PCWSTR name);
/* A layer folder: has Files\ (read-only layer) or sandbox.vhdx (scratch). */
bool is_layer(PCWSTR path);
bool is_scratch(PCWSTR path);
bool dir_empty(PCWSTR path);
/* Calls fn for every entry of dir but . and ..; stops when fn returns
 * other than S_OK (S_FALSE: stop, not an error). */
HRESULT each_entry(PCWSTR dir, HRESULT (*fn)(PCWSTR dir, const WIN32_FIND_DATAW *e, void *arg), void *arg);
HRESULT make_dirs(PCWSTR path);
HRESULT copy_tree(PCWSTR from, PCWSTR to);
HRESULT remove_tree(PCWSTR path);
/* Writes a fake VHDX: the signature "vhdxfile", then one JSON line. */
HRESULT write_vhdx(PCWSTR path, bool exclusive, const char *json);
/* Reads the JSON line of a fake VHDX (malloc'd in *json; NULL if none). */
HRESULT read_vhdx(PCWSTR path, char **json);
HRESULT write_text(PCWSTR path, const char *text);
HRESULT read_text(PCWSTR path, char **text); /* NUL-terminated, malloc'd */

/* ---- parents.c: parent lists ------------------------------------------- */

struct parent {
	GUID id;
	ULONG flags;
	WCHAR *path; /* normalized */
};

struct plist {
	UINT32 n;
	struct parent *v;
};

void plist_free(struct plist *l);
HRESULT plist_copy(const struct plist *from, struct plist *to);
/*
 * Reads and checks a parent list: from an array of WC_LAYER_DESCRIPTORs, or
 * from a LayerData JSON document. Every id must be NameToGuid of the base
 * name of its path, every path an existing layer folder, and where a
 * layer's layerchain.json names its parents they must be the rest of the
 * list, in order.
 */
HRESULT plist_from_descriptors(const VMC_LAYER_DESCRIPTOR *d, UINT32 n, struct plist *out);
HRESULT plist_from_layerdata(PCWSTR layerData, struct plist *out);
/* Checks a layer's layerchain.json, if any, against its parents. */
HRESULT plist_check_chain(PCWSTR layer, const struct plist *parents);
/* Whether a and b name the same layers (ids and paths) in the same order;
 * if not, msg describes the first difference. */
bool plist_equal(const struct plist *a, const struct plist *b, char *msg, size_t cap);
/* A JSON array of the paths (malloc'd UTF-8). */
char *plist_paths_json(const struct plist *l);
/* Reads a JSON array of paths (a layerchain.json or a fake VHDX's Parents). */
HRESULT paths_from_json(const struct jval *arr, WCHAR ***paths, UINT32 *n);
void paths_free(WCHAR **paths, UINT32 n);

/* ---- state.c: the layer store ------------------------------------------ */

/*
 * The state of one layer folder (or writable layer path), created on first
 * use. Inactive: activations == 0. Activated: activations > 0. Prepared:
 * prepared, with a volume and the parents it was prepared with.
 */
struct layer {
	struct layer *next;
	WCHAR *path;            /* normalized, the key */
	UINT32 activations;     /* ActivateLayer calls not yet deactivated */
	bool prepared;
	bool filter;            /* prepared by HcsAttachLayerStorageFilter */
	bool writable;          /* initialized by HcsInitialize*WritableLayer */
	struct plist parents;   /* of the prepare, attach or initialize */
	WCHAR volume[64];       /* \\?\Volume{guid}\ while prepared by PrepareLayer */
};

struct layer *layer_find(PCWSTR path);
struct layer *layer_get(PCWSTR path); /* find or create; NULL when out of memory */
void layer_forget(struct layer *l);
/* Iterates the store: layer_next(NULL) is the first layer. */
struct layer *layer_next(const struct layer *l);
/* Same path, case-insensitively, with or without a trailing separator. */
bool same_path(PCWSTR a, PCWSTR b);
/* The path a container passes as Storage.Path for a prepared layer. */
PCWSTR layer_volume(const struct layer *l);
/* The prepared layer whose volume is path (trailing separator optional). */
struct layer *layer_by_volume(PCWSTR path);
void layers_reset(void);

/* Binds a compute system to the layer its Storage.Path names (NULL: none). */
HRESULT bind_system(const char *system_id, PCWSTR layer);
/*
 * Runs fn under the lock with busy saying whether a compute system bound
 * to path is not Stopped (asked of the mock computecore.dll, without the
 * lock, then confirmed unchanged). Call without the lock.
 */
HRESULT with_use(PCWSTR path, HRESULT (*fn)(PCWSTR path, bool busy, void *arg), void *arg);

/* ---- vhd.c: the virtual disks of the mock ------------------------------ */

struct vhd {
	struct vhd *next;
	WCHAR *path;
	bool formatted;
	bool attached;
	WCHAR volume[64];       /* while attached */
};

struct vhd *vhd_find(HANDLE h);     /* a live handle, never dereferenced if bogus */
struct vhd *vhd_by_volume(PCWSTR volume);
void vhds_reset(void);
UINT32 vhds_live(void);

/* ---- layers.c: operations vmcompute.dll and computestorage.dll share --- */

HRESULT layer_create_scratch(PCWSTR path, const struct plist *parents);
HRESULT layer_expand(PCWSTR path, UINT64 size);
/* The size the fake sandbox.vhdx of the scratch at path records, or 0. */
UINT64 sandbox_size(PCWSTR path);
HRESULT layer_activate(PCWSTR path);
/* PrepareLayer, or with filter HcsAttachLayerStorageFilter (which also
 * activates: the layer's own path then stands for its volume). */
HRESULT layer_prepare(PCWSTR path, const struct plist *parents, bool filter);
/* Undoes PrepareLayer or, with detach not NULL, the attach; busy: a compute
 * system that is not stopped uses it (for with_use). */
HRESULT layer_unprepare(PCWSTR path, bool busy, void *detach);
HRESULT layer_deactivate(PCWSTR path);
/* Removes a layer folder that is neither activated nor a parent of a
 * prepared layer; a missing folder is success. */
HRESULT layer_destroy(PCWSTR path);
/* Makes a layer folder at dst from a staging folder's Files\, Hives\ and
 * UtilityVM\; staging may be dst itself. Like Windows, it leaves writing
 * layerchain.json to the caller. */
HRESULT layer_import(PCWSTR dst, PCWSTR staging, const struct plist *parents);
/* Exports a read-only layer (Files\, Hives\) or, for a writable layer, the
 * changes it holds: none, since nothing in the mocks writes into one. */
HRESULT layer_export(PCWSTR src, PCWSTR dst, const struct plist *parents, bool writable);
/* Writes blank.vhdx and blank-base.vhdx (a base layer) or, for a utility
 * VM image, SystemTemplate.vhdx and SystemTemplateBase.vhdx. */
HRESULT layer_process_base(PCWSTR path);
HRESULT layer_process_utility(PCWSTR path);

#endif

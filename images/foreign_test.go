package images

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gohcs/hcs/internal/registrytest"
)

func TestForeignHosts(t *testing.T) {
	local := ForeignHosts("http://127.0.0.1:5000", "*.Example.com", "https://mirror.test")
	for _, tc := range []struct {
		allow func(*url.URL) bool
		url   string
		want  bool
	}{
		{DefaultForeignURL, "https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:31f9", true},
		{DefaultForeignURL, "https://westus2.data.mcr.microsoft.com/abc", true},
		{DefaultForeignURL, "https://go.microsoft.com/fwlink/?linkid=837858", true},
		{DefaultForeignURL, "https://account.blob.core.windows.net/layers/x", false}, // anyone's storage
		{DefaultForeignURL, "https://MCR.Microsoft.com:443/v2/x", true},
		{DefaultForeignURL, "http://mcr.microsoft.com/v2/x", false}, // https only
		{DefaultForeignURL, "https://mcr.microsoft.com.evil.test/x", false},
		{DefaultForeignURL, "https://evilmcr.microsoft.com/x", false},
		{DefaultForeignURL, "https://blob.core.windows.net/x", false},
		{DefaultForeignURL, "https://user:pw@mcr.microsoft.com/x", false},
		{DefaultForeignURL, "ftp://mcr.microsoft.com/x", false},
		{DefaultForeignURL, "file:///etc/passwd", false},
		{DefaultForeignURL, "http://169.254.169.254/latest/meta-data", false},
		{local, "http://127.0.0.1:5000/layers/x", true},
		{local, "https://127.0.0.1:5000/layers/x", true},
		{local, "http://127.0.0.1:5001/layers/x", false},
		{local, "https://a.b.example.com/x", true},
		{local, "http://a.example.com/x", false},
		{local, "https://example.com/x", false},
		{local, "https://mirror.test/x", true},
		{local, "https://mcr.microsoft.com/x", false}, // not the default's
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := tc.allow(u); got != tc.want {
			t.Errorf("%s: allowed %v, want %v", tc.url, got, tc.want)
		}
	}
	if ForeignHosts()(nil) {
		t.Error("nil URL allowed")
	}
}

func TestCheckForeignHost(t *testing.T) {
	for _, ok := range []string{"mcr.microsoft.com", "*.example.com", "127.0.0.1:5000", "http://localhost:8080", "https://x.test"} {
		if err := CheckForeignHost(ok); err != nil {
			t.Errorf("CheckForeignHost(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "http://", "example.com/path", "a:b", "x:", "*", "u@host", "a.*.com"} {
		if err := CheckForeignHost(bad); err == nil {
			t.Errorf("CheckForeignHost(%q) accepted it", bad)
		}
		if ForeignHosts(bad)(&url.URL{Scheme: "https", Host: strings.TrimPrefix(bad, "http://")}) {
			t.Errorf("ForeignHosts(%q) allowed a URL", bad)
		}
	}
}

// TestPullForeignRefused pulls with the default ForeignURLs, which refuse
// the test's foreign server: nothing is asked of it, and as the registry
// does not have the layer either, the error names the refused URL.
func TestPullForeignRefused(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	opts := options(t, reg)
	opts.ForeignURLs = nil
	_, err := s.Pull(context.Background(), reg.Ref(registrytest.App), opts)
	want := "foreign URL " + reg.Foreign + "/layers/" + reg.Layers["base"].Digest + ": refused by PullOptions.ForeignURLs"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "/v2/windows/app/blobs/") {
		t.Fatalf("error %v, want one containing %q and the registry's failure", err, want)
	}
	for _, q := range reg.Requests() {
		if strings.HasPrefix(q.Path, "/layers/") {
			t.Errorf("the refused foreign server was asked for %s", q.Path)
		}
	}
	checkConsistent(t, s, reg.Layers["base"].Digest)
}

// TestPullForeignRefusedFromRegistry pulls an image whose foreign URL is
// refused from a registry that has the layer: it comes from there.
func TestPullForeignRefusedFromRegistry(t *testing.T) {
	reg := startRegistry(t)
	s := openStore(t)
	base := reg.Layers["base"]
	reg.SetFault(func(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
		if registrytest.IsBlob(r, base.Digest) && strings.HasPrefix(r.URL.Path, "/v2/") {
			w.Write(base.Data)
			return true
		}
		return false
	})
	opts := options(t, reg)
	opts.ForeignURLs = ForeignHosts("mcr.microsoft.com")
	if _, err := s.Pull(context.Background(), reg.Ref(registrytest.App), opts); err != nil {
		t.Fatal(err)
	}
	reqs := reg.Requests()
	if n := registrytest.BlobGets(reqs, base.Digest); n != 1 {
		t.Errorf("%d GETs of the foreign layer, want 1, from the registry", n)
	}
	for _, q := range reqs {
		if strings.HasPrefix(q.Path, "/layers/") {
			t.Errorf("the refused foreign server was asked for %s", q.Path)
		}
	}
	if !has(t, s, base.Digest) {
		t.Error("the foreign layer is not in the store")
	}
}

func TestNoDowngrade(t *testing.T) {
	req := func(u string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	https := []*http.Request{req("https://mcr.microsoft.com/v2/x")}
	if err := noDowngrade(req("https://westus.data.mcr.microsoft.com/x"), https); err != nil {
		t.Errorf("https to https: %v", err)
	}
	if err := noDowngrade(req("http://westus.data.mcr.microsoft.com/x"), https); err == nil {
		t.Error("https to http followed")
	}
	if err := noDowngrade(req("http://127.0.0.1/b"), []*http.Request{req("http://127.0.0.1/a")}); err != nil {
		t.Errorf("http to http: %v", err)
	}
	if err := noDowngrade(req("https://a/"), make([]*http.Request, 10)); err == nil {
		t.Error("an 11th redirect followed")
	}
}

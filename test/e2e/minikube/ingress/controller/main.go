// Command nginx-ingress-controller stands in for ingress-nginx's controller binary inside minikube's ingress addon,
// whose Deployment (deploy/addons/ingress/ingress-deploy.yaml.tmpl) is used unchanged. ingress-nginx cannot be built
// offline here, so this program takes the ingress-nginx flags the addon passes and runs Traefik's Kubernetes Ingress
// NGINX provider (which reads Ingresses of the same IngressClass and controller class), plus the two endpoints the
// addon's objects expect from the controller container:
//   - :10254/healthz, the addon's readiness and liveness probe (answered from Traefik's own ping endpoint);
//   - the validating admission webhook (--validating-webhook=:8443) the addon registers with failurePolicy Fail:
//     without an answer there, no Ingress could be created. It admits every Ingress (ingress-nginx would reject an
//     invalid nginx configuration; Traefik reports unsupported input in its log instead).
//
// Run as /wait-shutdown (the addon's preStop hook) it returns at once: Traefik stops on SIGTERM by itself.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	traefikBin  = "/usr/local/bin/traefik"
	pingAddr    = "127.0.0.1:10255" // Traefik's ping entry point, private to the pod
	saDir       = "/var/run/secrets/kubernetes.io/serviceaccount"
	defaultCert = "/usr/local/certificates/cert"
	defaultKey  = "/usr/local/certificates/key"
)

// flags are ingress-nginx's command-line flags; only those with a Traefik counterpart are read, the rest are logged.
type flags map[string]string

func parseFlags(args []string) flags {
	f := flags{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		a = strings.TrimLeft(a, "-")
		if k, v, ok := strings.Cut(a, "="); ok {
			f[k] = v
		} else if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			f[a] = args[i+1]
			i++
		} else {
			f[a] = "true"
		}
	}
	return f
}

func (f flags) get(k, def string) string {
	if v, ok := f[k]; ok && v != "" {
		return v
	}
	return def
}

// understood lists the ingress-nginx flags that shape the Traefik command line; every other one is accepted and named
// in the log as ignored (the addon passes e.g. --election-id and the tcp/udp ConfigMaps, which Traefik has no use for).
var understood = map[string]bool{
	"controller-class": true, "ingress-class": true, "watch-ingress-without-class": true, "ingress-class-by-name": true,
	"watch-namespace": true, "publish-service": true, "publish-status-address": true, "default-backend-service": true,
	"http-port": true, "https-port": true, "healthz-port": true, "validating-webhook": true,
	"validating-webhook-certificate": true, "validating-webhook-key": true, "v": true,
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetPrefix("[controller] ")
	if filepath.Base(os.Args[0]) == "wait-shutdown" {
		return
	}
	f := parseFlags(os.Args[1:])
	for k, v := range f {
		if !understood[k] {
			log.Printf("ignoring ingress-nginx flag --%s=%s (no Traefik counterpart)", k, v)
		}
	}

	traefikArgs := []string{
		"--global.checknewversion=false",
		"--global.sendanonymoususage=false",
		"--log.level=INFO",
		"--log.nocolor=true",
		"--accesslog=true",
		"--entrypoints.web.address=:" + f.get("http-port", "80"),
		"--entrypoints.websecure.address=:" + f.get("https-port", "443"),
		"--entrypoints.websecure.http.tls=true",
		"--entrypoints.ping.address=" + pingAddr,
		"--ping=true",
		"--ping.entrypoint=ping",
		// nginx ignores request headers whose names carry an underscore (underscores_in_headers off), so X_Forwarded_For
		// never reaches a CGI/WSGI backend as X-Forwarded-For; Traefik drops such aliasing headers only when told to.
		"--entrypoints.web.http.aliasheadersstrategy=delete",
		"--entrypoints.websecure.http.aliasheadersstrategy=delete",
		"--entrypoints.ping.http.aliasheadersstrategy=delete",
		"--providers.kubernetesingressnginx=true",
		"--providers.kubernetesingressnginx.httpentrypoint=web",
		"--providers.kubernetesingressnginx.httpsentrypoint=websecure",
		"--providers.kubernetesingressnginx.controllerclass=" + f.get("controller-class", "k8s.io/ingress-nginx"),
		"--providers.kubernetesingressnginx.ingressclass=" + f.get("ingress-class", "nginx"),
		"--providers.kubernetesingressnginx.watchingresswithoutclass=" + f.get("watch-ingress-without-class", "false"),
		"--providers.kubernetesingressnginx.ingressclassbyname=" + f.get("ingress-class-by-name", "false"),
	}
	if ns := f.get("watch-namespace", ""); ns != "" {
		traefikArgs = append(traefikArgs, "--providers.kubernetesingressnginx.watchnamespace="+ns)
	}
	if s := f.get("default-backend-service", ""); s != "" {
		traefikArgs = append(traefikArgs, "--providers.kubernetesingressnginx.defaultbackendservice="+s)
	}
	// ingress-nginx without --publish-service publishes the address of the node it runs on (its hostPorts are where
	// the Ingress answers); `kubectl get ingress` and the kit read that address from the Ingress status.
	switch {
	case f.get("publish-status-address", "") != "":
		traefikArgs = append(traefikArgs, "--providers.kubernetesingressnginx.publishstatusaddress="+f["publish-status-address"])
	case f.get("publish-service", "") != "":
		traefikArgs = append(traefikArgs, "--providers.kubernetesingressnginx.publishservice="+f["publish-service"])
	default:
		if ip, err := nodeIP(); err != nil {
			log.Printf("Ingress status will carry no address: the node IP is unknown (%v)", err)
		} else {
			log.Printf("publishing the node IP %s in the status of served Ingresses", ip)
			traefikArgs = append(traefikArgs, "--providers.kubernetesingressnginx.publishstatusaddress="+ip)
		}
	}

	if addr := f.get("validating-webhook", ""); addr != "" {
		go serveWebhook(addr, f.get("validating-webhook-certificate", defaultCert), f.get("validating-webhook-key", defaultKey))
	}
	go serveHealthz(":" + f.get("healthz-port", "10254"))

	log.Printf("starting %s %s", traefikBin, strings.Join(traefikArgs, " "))
	cmd := exec.Command(traefikBin, traefikArgs...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatalf("cannot start Traefik: %v (the image must hold %s with cap_net_bind_service set, see ingress/build.sh)", err, traefikBin)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-sig
		log.Printf("%v: stopping Traefik", s)
		_ = cmd.Process.Signal(s)
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		log.Printf("Traefik exited: %v", err)
		os.Exit(max(ee.ExitCode(), 1))
	}
	if err != nil {
		log.Fatalf("Traefik: %v", err)
	}
}

// nodeIP is the pod's status.hostIP, read with the pod's service account (the addon's Role grants get on pods in its
// namespace). The Deployment passes POD_NAME and POD_NAMESPACE, not the node IP.
func nodeIP() (string, error) {
	name, ns := os.Getenv("POD_NAME"), os.Getenv("POD_NAMESPACE")
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if name == "" || ns == "" || host == "" {
		return "", errors.New("POD_NAME, POD_NAMESPACE or KUBERNETES_SERVICE_HOST not set: not running in a pod")
	}
	token, err := os.ReadFile(saDir + "/token")
	if err != nil {
		return "", err
	}
	ca, err := os.ReadFile(saDir + "/ca.crt")
	if err != nil {
		return "", err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := fmt.Sprintf("https://%s/api/v1/namespaces/%s/pods/%s", net.JoinHostPort(host, port), ns, name)
	var lastErr error
	for attempt := 0; attempt < 10; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Second)
		}
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
		resp, err := client.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			lastErr = fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
			continue
		}
		var pod struct {
			Status struct {
				HostIP string `json:"hostIP"`
			} `json:"status"`
		}
		if err := json.Unmarshal(body, &pod); err != nil {
			return "", err
		}
		if pod.Status.HostIP != "" {
			return pod.Status.HostIP, nil
		}
		lastErr = errors.New("status.hostIP is empty")
	}
	return "", lastErr
}

// serveHealthz answers the addon's probes: ready once Traefik answers its own ping.
func serveHealthz(addr string) {
	client := &http.Client{Timeout: 800 * time.Millisecond}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		resp, err := client.Get("http://" + pingAddr + "/ping")
		if err != nil {
			http.Error(w, "traefik not answering: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			http.Error(w, "traefik ping: "+resp.Status, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	log.Fatal(http.ListenAndServe(addr, mux))
}

// certLoader re-reads the webhook certificate when its files change: the Secret is written by the addon's certgen Job
// and kubelet refreshes the mounted copy if it is ever rotated.
type certLoader struct {
	certFile, keyFile string
	mu                sync.Mutex
	cert              *tls.Certificate
	mtime             time.Time
}

func (c *certLoader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := os.Stat(c.certFile)
	if err != nil {
		return nil, fmt.Errorf("webhook certificate: %w (the Secret ingress-nginx-admission is created by the ingress-nginx-admission-create Job)", err)
	}
	if c.cert == nil || !st.ModTime().Equal(c.mtime) {
		cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
		if err != nil {
			return nil, fmt.Errorf("webhook certificate: %w", err)
		}
		c.cert, c.mtime = &cert, st.ModTime()
	}
	return c.cert, nil
}

// admissionReview is the part of admission.k8s.io AdmissionReview this webhook reads and writes.
type admissionReview struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Request    *struct {
		UID       string `json:"uid"`
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		Operation string `json:"operation"`
	} `json:"request,omitempty"`
	Response *admissionResponse `json:"response,omitempty"`
}

type admissionResponse struct {
	UID     string `json:"uid"`
	Allowed bool   `json:"allowed"`
}

func serveWebhook(addr, certFile, keyFile string) {
	loader := &certLoader{certFile: certFile, keyFile: keyFile}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var review admissionReview
		if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&review); err != nil || review.Request == nil {
			http.Error(w, "expected an AdmissionReview with a request", http.StatusBadRequest)
			return
		}
		log.Printf("admission %s %s %s/%s: allowed", r.URL.Path, review.Request.Operation, review.Request.Namespace, review.Request.Name)
		out := admissionReview{APIVersion: review.APIVersion, Kind: "AdmissionReview",
			Response: &admissionResponse{UID: review.Request.UID, Allowed: true}}
		if out.APIVersion == "" {
			out.APIVersion = "admission.k8s.io/v1"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{GetCertificate: loader.get, MinVersion: tls.VersionTLS12}}
	log.Printf("admission webhook on %s (certificate %s)", addr, certFile)
	log.Fatalf("admission webhook on %s: %v", addr, srv.ListenAndServeTLS("", ""))
}

module todo-k8s-kit/e2e-cluster/pause

go 1.24.0

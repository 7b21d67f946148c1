module todo-e2e/ingress-controller

go 1.22

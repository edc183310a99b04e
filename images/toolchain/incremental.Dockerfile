# The incremental kernel build: the kernel of a new OSv tree built on top of the previous kernel
# image's built tree, so OSv's make compiles only what changed. pkgdriver follows these steps with
# every step of Dockerfile after its "after the kernel" line, and uses this build when an earlier
# kernel image of the same base image, Dockerfile, build arguments and OSv build
# arguments exists (see "The toolchain image" in README.md). Its context is Dockerfile's: this
# file, Dockerfile, and `osv/` (a local OSv checkout). It is never a --rebuild-image build, and
# PREVIOUS is a kernel image of its own lineage, so the layers it stacks there are its own.
ARG PREVIOUS
FROM ${PREVIOUS}

ARG OSV_COMMIT=
ARG OSV_DESCRIBE=
ARG OSV_COMMIT_TIME=0
COPY osv/ /osv.new/
# /osv.new gets the same git history Dockerfile gives /osv (the same commit, so the same
# version); then /osv becomes that tree: files the old tree had and the new one has not are
# removed, files whose content or type changed are replaced and get the build's time, so make
# rebuilds what depends on them, and unchanged files keep their old time, so their objects are
# reused. build/ and other files OSv's build made stay. /tmp/osv-changed lists what changed.
# What changed is git's answer, not a comparison of every file: the files that differ between
# the old tree's commit (its objects borrowed through an alternates file, nothing copied) and the
# new one, and the tracked files the old tree's build modified (git diff against its index).
RUN set -e; \
    cd /osv.new; \
    git init -q; \
    git -c user.name=pkgdriver -c user.email=pkgdriver@localhost add -A; \
    GIT_COMMITTER_DATE="@${OSV_COMMIT_TIME} +0000" \
    git -c user.name=pkgdriver -c user.email=pkgdriver@localhost commit -q --no-verify \
        --date="@${OSV_COMMIT_TIME} +0000" \
        -m "OSv ${OSV_DESCRIBE:-local} ${OSV_COMMIT}"; \
    if [ -n "${OSV_DESCRIBE}" ]; then git tag "${OSV_DESCRIBE}"; fi; \
    : >/tmp/osv-changed; \
    if old=$(git -C /osv rev-parse -q --verify 'HEAD^{commit}'); then \
        echo /osv/.git/objects >.git/objects/info/alternates; \
        { git diff --name-only -z --no-renames "$old" HEAD; git -C /osv diff --name-only -z --no-renames; } >/tmp/osv-diff; \
        rm .git/objects/info/alternates; \
    else \
        { git ls-files -z; git -C /osv ls-files -z 2>/dev/null || true; } >/tmp/osv-diff; \
    fi; \
    sort -zu /tmp/osv-diff | xargs -0 -r sh -c 'for f; do \
        n="/osv.new/$f" o="/osv/$f"; \
        if [ -d "$n" ] && [ ! -L "$n" ]; then \
            if [ -L "$o" ] || { [ -e "$o" ] && [ ! -d "$o" ]; }; then rm -f "$o"; fi; \
        elif [ -e "$n" ] || [ -L "$n" ]; then \
            mkdir -p "$(dirname "$o")"; rm -rf "$o"; cp -P "$n" "$o"; echo "changed $f" >>/tmp/osv-changed; \
        elif [ -e "$o" ] || [ -L "$o" ]; then \
            rm -f "$o"; echo "removed $f" >>/tmp/osv-changed; \
        fi; \
        done' sh; \
    rm -rf /osv/.git /tmp/osv-diff; mv /osv.new/.git /osv/.git; \
    cd / && rm -rf /osv.new; \
    echo "${OSV_COMMIT}" >/osv/.pkgdriver-commit; \
    echo "pkgdriver: incremental OSv build: $(grep -c '^changed ' /tmp/osv-changed || true) files changed," \
         "$(grep -c '^removed ' /tmp/osv-changed || true) removed"; \
    head -n 50 /tmp/osv-changed; rm /tmp/osv-changed

# Build the kernel, as Dockerfile does: make redoes only what the changed files affect.
ARG OSV_BUILD_ARGS="fs=rofs image=native-example"
RUN cd /osv && ./scripts/build -j"$(nproc)" ${OSV_BUILD_ARGS} \
 && test -e build/release/loader.img


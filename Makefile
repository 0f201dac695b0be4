# flowsentry: the commands users and CI run. Each installs what it needs first (scripts/bootstrap).
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 20

.PHONY: all bootstrap build test unit demo bench bench-micro soak format format-check asan fuzz clean package

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: bootstrap $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The whole suite: unit tests, then fixture/integration tests that start real servers.
# Unit tests in parallel; the tests that start brokers, databases, browsers and demos one at a
# time, so they never compete for the 2 cores of a CI machine.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE 'fixture|integration' --timeout 900
	cd $(BUILD) && FLOWSENTRY_KAFKA_READY_TIMEOUT=180 ctest --output-on-failure -j 1 \
	  -L 'fixture|integration' --timeout 1200

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# The Debian package: $(BUILD)/packages/flowsentry_<version>_<arch>.deb (packaging/).
package: build
	cd $(BUILD) && cpack -G DEB -B packages

# Replays UNSW-NB15 test.csv when ../shared/datasets is present (else the built-in traffic
# generator) through the default model into SQLite, and serves the dashboard.
DEMO_PORT ?= 8080
DEMO_ARGS ?=
demo: build
	$(BUILD)/flowsentry demo --port $(DEMO_PORT) $(DEMO_ARGS)

# flowsentry side by side with the reference Python stack (bench/run): starts its own Kafka and
# PostgreSQL, runs both stacks, writes docs/benchmarks.md (generated section), the charts in
# docs/benchmarks/ and the README performance table, then the flow meter against argus + ra
# (bench/meter: its section of docs/benchmarks.md and rows of the README module table), then
# the HTTP soak below.
# QUICK=1: shorter runs (< 5 min).
QUICK ?=
bench: build
	bench/run --build $(BUILD) $(if $(QUICK),--quick)
	cmake --build $(BUILD) --target meter_gen_pcaps
	bench/meter --build $(BUILD) $(if $(QUICK),--quick)
	bench/http_soak.py --binary $(BUILD)/flowsentry
	$(if $(QUICK),FLOWS=200000 RUNS=10 FAIR_ROWS=50000) bench/store_bench.sh $(BUILD)

# The HTTP soak (bench/http_soak.py): 16 unauthenticated 8 MiB uploads and 1,000 slow
# connections from other loopback addresses for 60 s while /healthz and /predict are measured.
soak: build
	bench/http_soak.py --binary $(BUILD)/flowsentry

# The Google Benchmark micro-benchmarks.
bench-micro: build
	$(BUILD)/bench/bench_flow
	$(BUILD)/bench/bench_detect
	$(BUILD)/bench/bench_model
	$(BUILD)/bench/bench_meter
	$(BUILD)/bench/bench_collect
	$(BUILD)/bench/bench_zeek
	$(BUILD)/bench/bench_shadow

# Re-creates the committed default model from UNSW-NB15 train.csv (seed 42): its settings are
# chosen by 5-fold cross-validation on train.csv (grid `quality`, src/model/cv.cc), and a plain
# XGBoost is trained in the same run on the same split. Both are evaluated on test.csv once;
# models/default/metrics.json ("test", "baseline") and the model card record them side by side.
# --threads 2 runs two single-threaded XGBoost workers: on a busy machine one booster's two
# OpenMP threads wait on each other. About 42 min at load 15-20 on 2 cores (33 of them CV).
DATASET_DIR ?= ../shared/datasets/unsw-nb15
.PHONY: model
model: build
	$(BUILD)/flowsentry train --data $(DATASET_DIR)/train.csv --out models/default --seed 42 \
	  --cv 5 --grid quality --threads 2 --baseline-out $(BUILD)/plain-xgboost
	$(BUILD)/flowsentry evaluate --model models/default --data $(DATASET_DIR)/test.csv \
	  --format text --record test --baseline $(BUILD)/plain-xgboost

# One model per feature profile (src/flow/profile.h), trained like the default one, each with
# its test.csv evaluation; then models-compare. Trainings run one after another (2 threads each).
PROFILES := portable netflow conn
.PHONY: models models-compare
models: build
	for p in $(PROFILES); do \
	  $(BUILD)/flowsentry train --data $(DATASET_DIR)/train.csv --out models/$$p --seed 42 \
	    --profile $$p && \
	  $(BUILD)/flowsentry evaluate --model models/$$p --data $(DATASET_DIR)/test.csv \
	    --format text --record test || exit 1; \
	done
	$(MAKE) models-compare

# Every profile's model next to a scikit-learn RandomForest on the same columns (test.csv):
# docs/models.md and the "What each profile costs" table of each profile model's card.
models-compare: build
	bench/baseline/setup.sh
	bench/baseline/.venv/bin/python bench/profiles/compare.py --train $(DATASET_DIR)/train.csv \
	  --test $(DATASET_DIR)/test.csv --models models --docs docs/models.md --record
	for p in $(PROFILES); do \
	  $(BUILD)/flowsentry evaluate --model models/$$p --data $(DATASET_DIR)/test.csv \
	    --record test >/dev/null || exit 1; \
	done

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer, then a short fuzz run.
asan: bootstrap
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFLOWSENTRY_SANITIZE=ON \
	  -DFLOWSENTRY_BENCH=OFF -DFLOWSENTRY_PACKAGE=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -L unit
	$(MAKE) fuzz

fuzz: bootstrap
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DFLOWSENTRY_FUZZ=ON -DFLOWSENTRY_BENCH=OFF -DFLOWSENTRY_PACKAGE=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_csv fuzz_json fuzz_packet fuzz_zeek fuzz_summary \
	  fuzz_netflow_v5 fuzz_netflow_v9 fuzz_ipfix fuzz_hosts fuzz_feedback
	fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

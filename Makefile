# The commands the README names. Each sets up what it needs first, idempotently.
VENV := .venv
BIN := $(VENV)/bin
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.PHONY: setup system notebooks publish test plant-bugs bench lint format lab lab-instructor clean
WORK ?= work

## setup: the virtual environment (.venv) with the pinned requirements, and the Debian packages
setup: system $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml scripts/setup_venv.sh
	@bash scripts/setup_venv.sh

system:
	@bash scripts/install_system_deps.sh

## notebooks: run the whole series headlessly -> build/notebooks/*.ipynb and build/html/*.html
notebooks: setup
	$(BIN)/python scripts/run_series.py

## publish: run the lessons in full mode and store their outputs (and the README's pictures) in
## notebooks/, so a reader sees every result without running anything. LESSONS=notebooks/05_*.ipynb
## reruns only those; the stale-output test (tests/test_published.py) says which need it.
LESSONS ?=
publish: setup
	$(BIN)/python scripts/publish.py $(LESSONS)

## test: lint, unit tests (tests/) and every notebook under nbval, in fast mode. The lessons write
## into a fresh build/test-run/, so a test run trains from scratch and never touches build/checkpoints.
TEST_BUILD := $(CURDIR)/build/test-run
test: setup lint
	rm -rf $(TEST_BUILD)
	RESNET_FAST=1 RESNET_BUILD_DIR=$(TEST_BUILD) $(BIN)/python -m pytest tests $(NOTEBOOKS) --nbval-lax --nbval-current-env -p no:cacheprovider --durations=25 -n 2 --dist loadfile

## plant-bugs: plant known bugs in a copy of the library; each must make the tests meant for it fail
plant-bugs: setup
	$(BIN)/python scripts/plant_bugs.py

## bench: the benchmark: three time-to-accuracy runs on Fashion-MNIST, the input pipeline's efficiency,
## ResNet-50 throughput and GFLOP/s; about 30 minutes on 2 CPU cores
bench: setup
	$(BIN)/python benchmarks/fashion_mnist.py --runs 3

lint:
	$(BIN)/ruff check resnet_lib tests scripts notebooks benchmarks
	$(BIN)/ruff format --check resnet_lib tests scripts notebooks benchmarks

format:
	$(BIN)/ruff format resnet_lib tests scripts notebooks benchmarks
	$(BIN)/ruff check --fix resnet_lib tests scripts notebooks benchmarks
	$(BIN)/python scripts/tidy_notebooks.py

## lab: open your working copies (work/, made once from the lessons: exercises as stubs, each
## solution collapsed below it) in JupyterLab. An existing copy is never replaced.
lab: student
	$(BIN)/jupyter lab $(WORK)/

## lab-instructor: open the full lessons (notebooks/) in JupyterLab
lab-instructor: setup
	$(BIN)/jupyter lab notebooks/

## clean: delete build/ (outputs, checkpoints, decks); never your working copies in work/
clean:
	rm -rf build

# ---------------------------------------------------------------- for instructors and students
.PHONY: nav images student slides

## nav: regenerate every lesson's previous | contents | next cells and the README's contents table
nav: setup
	$(BIN)/python scripts/navigation.py

## images: the README's picture of each lesson (images/NN_name.png) from build/notebooks/ (make notebooks)
images: setup
	$(BIN)/python scripts/make_images.py

## student: your working copies -> work/ (each solution a stub, the solution collapsed below it);
## a copy already there is kept, and a lesson changed since is written beside it as NN_name.new-<hash>.ipynb
student: setup
	$(BIN)/python scripts/student.py --out $(WORK)

## slides: a reveal.js deck per lesson -> build/slides/ (open build/slides/index.html; works offline)
slides: setup
	$(BIN)/python scripts/slides.py build

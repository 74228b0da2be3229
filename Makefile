# The patient information line. `make run` starts it; `make test` proves it. See README.md.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
ARGS ?=

# Settings for running the line on this computer. Anything already in the environment wins
# (see .env.example for every setting). The phone numbers are fictional (555-01xx).
LOCAL_SETTINGS = TWILIO_AUTH_TOKEN="$${TWILIO_AUTH_TOKEN:-local-dev-token}" \
	FRONT_DESK_NUMBER="$${FRONT_DESK_NUMBER:-+15555550100}" \
	ON_CALL_NUMBER="$${ON_CALL_NUMBER:-+15555550199}" \
	VOICEMAIL="$${VOICEMAIL:-1}"

.PHONY: run test check script prompts call audio-guide eval intents-model bench lint format speech-packages system-packages clean

# ---------------------------------------------------------------- environments

$(BIN)/activate:
	@$(PYTHON) -c "import ensurepip" 2>/dev/null || $(call apt-install,python3-venv)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-embeddings.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# Debian packages, installed when missing (as root, or with sudo).
apt-install = (echo "Installing Debian packages: $(1)"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $(1))

# espeak-ng speaks for pyttsx3 (rendered audio, the simulator's voice).
speech-packages:
	@command -v espeak-ng >/dev/null 2>&1 || $(call apt-install,espeak-ng)

# ... and chromium runs the audio guide's browser test.
system-packages: speech-packages
	@command -v chromium >/dev/null 2>&1 || $(call apt-install,chromium)

# ---------------------------------------------------------------- the line

run: $(VENV)/.runtime
	@echo "The line is starting on http://localhost:$(PORT)/voice (Ctrl-C stops it)."
	@echo "Call it from another terminal with: make call"
	$(LOCAL_SETTINGS) $(BIN)/gunicorn app:app --bind 127.0.0.1:$(PORT) --workers 2 --timeout 20 \
		--access-logfile - --access-logformat '%(t)s "%(m)s %(U)s" %(s)s %(L)ss'

# Calls the line `make run` started (on PORT), unless ARGS names a URL or --local.
call: $(VENV)/.runtime speech-packages
	@$(LOCAL_SETTINGS) $(BIN)/python -m ivr call \
		$(if $(findstring --local,$(ARGS))$(findstring http,$(ARGS)),,http://localhost:$(PORT)/voice) $(ARGS)

check: $(VENV)/.runtime
	$(BIN)/python -m ivr check

script: $(VENV)/.runtime
	@$(LOCAL_SETTINGS) $(BIN)/python -m ivr script

prompts: $(VENV)/.runtime speech-packages
	@$(LOCAL_SETTINGS) $(BIN)/python -m ivr prompts $(ARGS)

audio-guide: $(VENV)/.runtime speech-packages
	$(BIN)/python -m ivr audio-guide $(ARGS)

# ---------------------------------------------------------------- proving it

test: $(VENV)/.dev system-packages lint
	$(BIN)/python -m pytest

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

eval: $(VENV)/.dev
	$(BIN)/python -m ivr eval $(ARGS)

# Fit the learned second opinion on urgent words and requests again (after changing eval/dev*.tsv
# or the catalogue's commands); commit prompts/en-US.intents.json.
intents-model: $(VENV)/.dev
	$(BIN)/python -m ivr train-intents $(ARGS)

bench: $(VENV)/.runtime
	$(BIN)/python -m ivr bench $(ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache

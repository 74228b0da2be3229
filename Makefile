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

.PHONY: run test check script prompts call audio-guide eval bench lint format system-packages clean

# ---------------------------------------------------------------- environments

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# espeak-ng speaks for pyttsx3 (audio rendering, the simulator); chromium runs the audio
# guide's browser test. Installed from Debian's packages when missing.
system-packages:
	@missing=""; \
	command -v espeak-ng >/dev/null 2>&1 || missing="$$missing espeak-ng"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

# ---------------------------------------------------------------- the line

run: $(VENV)/.runtime
	@echo "The line is starting on http://localhost:$(PORT)/voice (Ctrl-C stops it)."
	@echo "Call it from another terminal with: make call"
	$(LOCAL_SETTINGS) $(BIN)/gunicorn app:app --bind 127.0.0.1:$(PORT) --workers 2 --timeout 20 \
		--access-logfile - --access-logformat '%(t)s "%(m)s %(U)s" %(s)s %(L)ss'

call: $(VENV)/.runtime
	@$(LOCAL_SETTINGS) $(BIN)/python -m ivr call $(ARGS)

check: $(VENV)/.runtime
	$(BIN)/python -m ivr check

script: $(VENV)/.runtime
	@$(LOCAL_SETTINGS) $(BIN)/python -m ivr script

prompts: $(VENV)/.runtime system-packages
	@$(LOCAL_SETTINGS) $(BIN)/python -m ivr prompts $(ARGS)

audio-guide: $(VENV)/.runtime system-packages
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

bench: $(VENV)/.runtime
	$(BIN)/python -m ivr bench $(ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache .ruff_cache

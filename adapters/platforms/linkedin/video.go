package linkedin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/heraldhq/herald/domain"
)

// The Videos API: initializeUpload (owner, size) gives the video URN, an upload token and
// one upload instruction per part (byte range and URL); each part is PUT and answers an
// ETag; finalizeUpload takes the ETags in order; the video is then PROCESSING until
// AVAILABLE (or PROCESSING_FAILED).
// https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/videos-api

type initVideoRequest struct {
	InitializeUploadRequest struct {
		Owner           string `json:"owner"`
		FileSizeBytes   int64  `json:"fileSizeBytes"`
		UploadCaptions  bool   `json:"uploadCaptions"`
		UploadThumbnail bool   `json:"uploadThumbnail"`
	} `json:"initializeUploadRequest"`
}

type initVideoResponse struct {
	Value struct {
		Video              string `json:"video"`
		UploadToken        string `json:"uploadToken"`
		UploadInstructions []struct {
			UploadURL string `json:"uploadUrl"`
			FirstByte int64  `json:"firstByte"`
			LastByte  int64  `json:"lastByte"`
		} `json:"uploadInstructions"`
	} `json:"value"`
}

type finalizeVideoRequest struct {
	FinalizeUploadRequest struct {
		Video           string   `json:"video"`
		UploadToken     string   `json:"uploadToken"`
		UploadedPartIDs []string `json:"uploadedPartIds"`
	} `json:"finalizeUploadRequest"`
}

type videoStatus struct {
	Status string `json:"status"`
}

// uploadVideo downloads the video at mediaURL, uploads it in the parts LinkedIn asks for,
// finalizes it and waits until LinkedIn has processed it.
func (a *Adapter) uploadVideo(ctx context.Context, token, owner, mediaURL string, n int) (string, error) {
	data, _, err := a.download(ctx, mediaURL, n)
	if err != nil {
		return "", err
	}
	var req initVideoRequest
	req.InitializeUploadRequest.Owner = owner
	req.InitializeUploadRequest.FileSizeBytes = int64(len(data))
	var init initVideoResponse
	if _, err := a.do(ctx, call{method: http.MethodPost, path: "/rest/videos?action=initializeUpload", token: token, body: req, restli: true, what: "prepare a video upload"}, &init); err != nil {
		return "", err
	}
	v := init.Value
	if v.Video == "" || len(v.UploadInstructions) == 0 {
		return "", fmt.Errorf("linkedin: prepare a video upload: answer without video or upload instructions")
	}
	parts := make([]string, 0, len(v.UploadInstructions))
	for i, ins := range v.UploadInstructions {
		if ins.FirstByte < 0 || ins.LastByte < ins.FirstByte || ins.LastByte >= int64(len(data)) || ins.UploadURL == "" {
			return "", fmt.Errorf("linkedin: upload video %d: instruction %d is out of range", n, i)
		}
		etag, err := a.putPart(ctx, token, ins.UploadURL, data[ins.FirstByte:ins.LastByte+1], n)
		if err != nil {
			return "", err
		}
		parts = append(parts, etag)
	}
	var fin finalizeVideoRequest
	fin.FinalizeUploadRequest.Video = v.Video
	fin.FinalizeUploadRequest.UploadToken = v.UploadToken
	fin.FinalizeUploadRequest.UploadedPartIDs = parts
	if _, err := a.do(ctx, call{method: http.MethodPost, path: "/rest/videos?action=finalizeUpload", token: token, body: fin, restli: true, what: "finish a video upload"}, nil); err != nil {
		return "", err
	}
	return v.Video, a.awaitVideo(ctx, token, v.Video, n)
}

// putPart uploads one part and returns its ETag.
func (a *Adapter) putPart(ctx context.Context, token, uploadURL string, part []byte, n int) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, bytes.NewReader(part))
	if err != nil {
		return "", fmt.Errorf("linkedin: upload video %d: %w", n, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := a.http.Do(req)
	if err != nil {
		return "", &domain.Error{Code: domain.CodeUnavailable, Message: "LinkedIn could not be reached while uploading a video; Herald will try again.", Err: fmt.Errorf("linkedin: upload video %d: %w", n, err)}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", a.classify(resp, raw, fmt.Sprintf("upload video %d", n))
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		return "", fmt.Errorf("linkedin: upload video %d: part answered without an ETag", n)
	}
	return etag, nil
}

// awaitVideo polls the video until it is AVAILABLE. A video still processing after
// VideoWait is a failure worth retrying; PROCESSING_FAILED is permanent.
func (a *Adapter) awaitVideo(ctx context.Context, token, urn string, n int) error {
	deadline := time.Now().Add(a.cfg.VideoWait)
	for {
		var st videoStatus
		// GET /rest/videos/{encoded video URN}
		if _, err := a.do(ctx, call{method: http.MethodGet, path: "/rest/videos/" + url.QueryEscape(urn), token: token, restli: true, what: "check a video's processing"}, &st); err != nil {
			return err
		}
		switch st.Status {
		case "AVAILABLE":
			return nil
		case "PROCESSING_FAILED":
			return domain.Errorf(domain.CodeInvalid, "LinkedIn could not process video %d; check its format (MP4, at most 10 minutes).", n)
		}
		if time.Now().After(deadline) {
			return domain.Errorf(domain.CodeUnavailable, "LinkedIn is still processing video %d; Herald will try again.", n)
		}
		t := time.NewTimer(a.cfg.VideoPollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
